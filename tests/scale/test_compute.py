"""Partitions run locally or on a Dask LocalCluster with the same results; failures are one clear error."""

from __future__ import annotations

import math
import os

import pytest

from viewcast.compute import BackendConfig, BackendError, interleaved_partitions, run_partitions, start_partitions
from viewcast.errors import DataValidationError
from viewcast.io.tables import read_table


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


def test_an_unreachable_scheduler_is_one_clear_error(quick_refusal):
    config = BackendConfig(backend="dask", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(BackendError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9") as info:
        run_partitions(math.sqrt, [1.0], config)
    assert info.value.param == "scheduler"


def test_started_partitions_run_while_the_caller_works_and_come_back_in_order(dask_config):
    pending = start_partitions(math.sqrt, [9.0, 16.0, 25.0], dask_config)
    assert sum(range(1000)) == 499500  # the caller's own work, meanwhile
    assert pending.results(progress=False) == [3.0, 4.0, 5.0]


@pytest.mark.parametrize(("count", "size", "at_least"), [(10, 3, 1), (12, 100, 16), (1000, 100, 16), (1, 5, 4), (0, 5, 2)])
def test_interleaved_partitions_hold_every_item_once(count, size, at_least):
    partitions = interleaved_partitions(count, size, at_least)
    assert sorted(i for p in partitions for i in p) == list(range(count))
    assert all(partitions) and len(partitions) == min(count, max(at_least, -(-count // size)))
    assert max(map(len, partitions), default=0) - min(map(len, partitions), default=0) <= 1
