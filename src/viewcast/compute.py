"""Where partitions of work run: in this process, or on a Dask cluster (``distributed``).

Analyses split their work into independent partitions (series chunks of a forecast, files of a
batch to score, ratings files to prepare) and hand them to :func:`run_partitions` (or
:func:`start_partitions`, to do their own share meanwhile); the panel-wide steps (model choice,
calibration, totals, merging) stay with the caller. The partitions' results come back in order,
so a Dask run computes exactly what the local run computes.

``backend="dask"`` connects to ``scheduler`` (or ``VIEWCAST_DASK_SCHEDULER``); with neither it
starts a :class:`distributed.LocalCluster` of two worker processes for the run. A worker that
dies, a scheduler that cannot be reached, or a partition that fails surfaces as one
:class:`BackendError` (or the partition's own :class:`ViewcastError`), never as a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, Literal, TypeVar

from pydantic import Field

from viewcast.contracts import Config
from viewcast.errors import ViewcastError
from viewcast.progress import progress_bar

SCHEDULER_VARIABLE = "VIEWCAST_DASK_SCHEDULER"
#: How long to try reaching a named scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = "10s"
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
    return start_partitions(fn, partitions, config, what=what).results()


def start_partitions(
    fn: Callable[[T], R], partitions: Sequence[T], config: BackendConfig | None = None, *, what: str = "partitions"
) -> PendingPartitions[R]:
    """Hand the partitions to the backend now and collect them later with ``.results()``.

    On a Dask cluster the workers start at once, so the caller can do its own share of the work
    (a global model, say) meanwhile; locally the partitions run when the results are asked for.
    """
    return PendingPartitions(fn, list(partitions), config or BackendConfig(), what)


class PendingPartitions(Generic[R]):
    """Partitions under way on a Dask cluster, or queued to run in this process.

    ``results()`` waits for them (in partition order) and releases the cluster; ``cancel()``
    releases it without waiting, for a caller that failed before collecting.
    """

    def __init__(self, fn: Callable[[Any], R], partitions: list[Any], config: BackendConfig, what: str) -> None:
        self.fn, self.partitions, self.what = fn, partitions, what
        self._stack = contextlib.ExitStack()
        self._client: Any = None
        self._futures: list[Any] = []
        if config.backend == "dask" and partitions:
            self._client = self._stack.enter_context(dask_client(config))
            try:
                # The partitions travel in the task graph, not scattered ahead: a worker that dies
                # then loses no data, and the scheduler retries its tasks elsewhere. (Dask warns
                # about graphs of tens of MB; that is the point here, so the warning is muted.)
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
                    self._futures = self._client.map(fn, partitions, pure=False)
            except BaseException:
                self._stack.close()
                raise

    def results(self, progress: bool = True) -> list[R]:
        """Every partition's result, in partition order (a failure is one clear error)."""
        with self._stack, progress_bar(self.what, total=len(self.partitions), enabled=progress) as advance:
            if self._client is None:
                results = []
                for partition in self.partitions:
                    results.append(self.fn(partition))
                    advance()
                return results
            return _gather(self._client, self._futures, self.what, advance)

    def cancel(self) -> None:
        """Stop the work and release the cluster (nothing is collected)."""
        with self._stack:
            if self._client is not None:
                self._client.cancel(self._futures)


def interleaved_partitions(count: int, size: int, at_least: int = 1) -> list[list[int]]:
    """Indices ``0..count-1`` in partitions of about ``size`` (at least ``at_least`` of them, none
    empty), item ``i`` in partition ``i mod partitions``: every item in exactly one partition, and
    long and short items (a panel sorted by id, files sorted by name) spread evenly."""
    partitions = min(count, max(at_least, -(-count // size)))
    return [list(range(p, count, partitions)) for p in range(partitions)]


@contextlib.contextmanager
def dask_client(config: BackendConfig) -> Iterator[Any]:
    """A connected ``distributed.Client``: to the scheduler named, or to a local cluster made here."""
    from distributed import Client, LocalCluster

    address = config.scheduler or os.environ.get(SCHEDULER_VARIABLE) or None
    if address is None:
        with (
            LocalCluster(
                n_workers=config.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: two runs at once must not fight over 8787
                silence_logs=logging.ERROR,  # a worker's shutdown chatter is not the command's output
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BackendError(f"cannot reach the Dask scheduler at {address} ({exc})", param="scheduler") from None
    with client:
        yield client


def _gather(client: Any, futures: list[Any], what: str, advance: Callable[..., None]) -> list[Any]:
    from distributed import KilledWorker, as_completed

    try:
        for _ in as_completed(futures):
            advance()
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
