"""One Dask ``LocalCluster`` (two worker processes, one thread each) for every scale test of a session.

Starting a cluster costs seconds; the tests share it and name it by address, as a user names
their scheduler (``backend="dask", scheduler=...``).
"""

from __future__ import annotations

import pytest

from viewcast.compute import BackendConfig


@pytest.fixture(scope="session")
def dask_cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def dask_config(dask_cluster) -> BackendConfig:
    return BackendConfig(backend="dask", scheduler=dask_cluster.scheduler_address)


@pytest.fixture
def dask_options(dask_config) -> dict[str, str]:
    """The options an analysis config takes to run on the test cluster."""
    return {"backend": "dask", "scheduler": str(dask_config.scheduler)}


@pytest.fixture
def quick_refusal(monkeypatch):
    """An unreachable scheduler is given up on after a second (not ten) in tests that name one."""
    monkeypatch.setattr("viewcast.compute.CONNECT_TIMEOUT", "1s")
