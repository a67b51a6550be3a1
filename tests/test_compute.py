"""Partitions run locally or on a Dask LocalCluster with the same results; failures are one clear error."""

from __future__ import annotations

import math
import os

import pytest

from viewcast.compute import BackendConfig, BackendError, run_partitions
from viewcast.errors import DataValidationError
from viewcast.io.tables import read_table


@pytest.fixture(scope="module")
def dask_config():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield BackendConfig(backend="dask", scheduler=cluster.scheduler_address)


def test_dask_gives_the_local_results_in_order(dask_config):
    items = [float(i) for i in range(40)]
    assert run_partitions(math.sqrt, items, dask_config) == run_partitions(math.sqrt, items) == [math.sqrt(i) for i in items]


def test_a_partitions_own_error_keeps_its_message(dask_config, tmp_path):
    with pytest.raises(DataValidationError, match="file not found"):
        run_partitions(read_table, [str(tmp_path / "missing.csv")], dask_config)


def test_a_dying_worker_is_one_clear_error(dask_config):
    with pytest.raises(BackendError, match="worker died") as info:
        run_partitions(os._exit, [3], dask_config, what="the test partition")
    assert "\n" not in str(info.value)


def test_an_unreachable_scheduler_is_one_clear_error():
    config = BackendConfig(backend="dask", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(BackendError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9") as info:
        run_partitions(math.sqrt, [1.0], config)
    assert info.value.param == "scheduler"
