"""Where partitions of work run: in this process, or on a Dask cluster (``distributed``).

Analyses split their work into independent partitions (series chunks of a forecast, files of a
batch to score, ratings files to prepare) and hand them to :func:`run_partitions`; the panel-wide
steps (model choice, calibration, totals, merging) stay with the caller. The partitions' results
come back in order, so a Dask run computes exactly what the local run computes.

``backend="dask"`` connects to ``scheduler`` (or ``VIEWCAST_DASK_SCHEDULER``); with neither it
starts a :class:`distributed.LocalCluster` of two worker processes for the run. A worker that
dies, a scheduler that cannot be reached, or a partition that fails surfaces as one
:class:`BackendError` (or the partition's own :class:`ViewcastError`), never as a traceback.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TypeVar

from pydantic import Field

from viewcast.contracts import Config
from viewcast.errors import ViewcastError
from viewcast.progress import progress_bar

SCHEDULER_VARIABLE = "VIEWCAST_DASK_SCHEDULER"
T = TypeVar("T")
R = TypeVar("R")


class BackendError(ViewcastError):
    """The compute backend failed (a worker died, the scheduler is unreachable)."""

    exit_code = 1
    status = 503


class BackendConfig(Config):
    """Where to run: ``local`` (this process) or ``dask`` (a cluster)."""

    backend: Literal["local", "dask"] = Field("local", description="local, or dask for a Dask cluster")
    scheduler: str | None = Field(
        None,
        max_length=500,
        description="Dask scheduler address (tcp://host:8786); default VIEWCAST_DASK_SCHEDULER or a local cluster",
    )
    workers: int = Field(2, ge=1, le=256, description="worker processes of a local cluster started for the run")


def run_partitions(
    fn: Callable[[T], R], partitions: Sequence[T], config: BackendConfig | None = None, *, what: str = "partitions"
) -> list[R]:
    """``[fn(p) for p in partitions]``, on the configured backend, results in partition order."""
    config = config or BackendConfig()
    if config.backend == "local" or len(partitions) == 0:
        results = []
        with progress_bar(what, total=len(partitions)) as advance:
            for partition in partitions:
                results.append(fn(partition))
                advance()
        return results
    with dask_client(config) as client:
        return _gather(client, fn, partitions, what)


@contextlib.contextmanager
def dask_client(config: BackendConfig) -> Iterator[Any]:
    """A connected ``distributed.Client``: to the scheduler named, or to a local cluster made here."""
    from distributed import Client, LocalCluster

    address = config.scheduler or os.environ.get(SCHEDULER_VARIABLE) or None
    if address is None:
        with (
            LocalCluster(n_workers=config.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise BackendError(f"cannot reach the Dask scheduler at {address} ({exc})", param="scheduler") from None
    with client:
        yield client


def _gather(client: Any, fn: Callable[[T], R], partitions: Sequence[T], what: str) -> list[R]:
    from distributed import KilledWorker

    futures = client.map(fn, list(partitions), pure=False)
    try:
        return client.gather(futures)
    except ViewcastError:
        raise  # the partition's own message (bad data in one file, say)
    except KilledWorker as exc:
        raise BackendError(f"a Dask worker died while computing {what} ({exc}); check the workers' memory and logs") from None
    except (OSError, TimeoutError) as exc:
        raise BackendError(f"lost the Dask cluster while computing {what} ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # a partition failed on a worker for a reason of its own: one line, not a traceback
        raise BackendError(f"computing {what} failed on a Dask worker ({type(exc).__name__}: {exc})") from None
    finally:
        client.cancel(futures)
