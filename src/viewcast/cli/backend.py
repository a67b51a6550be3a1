"""``--backend``, ``--scheduler`` and ``--workers``: where a command runs its partitions.

The commands that split their work (``forecast --by creator``, ``claims predict`` over a folder,
``popularity prepare`` over partitioned ratings) take the same three flags; they become the
``backend``, ``scheduler`` and ``workers`` options of :class:`viewcast.compute.BackendConfig`, so
errors name them as these flags.
"""

from __future__ import annotations

from typing import Any, Optional

import typer


def backend_option() -> Any:
    return typer.Option("local", "--backend", help="local (this machine) or dask (a Dask cluster; see --scheduler).")


def scheduler_option() -> Any:
    return typer.Option(
        None,
        "--scheduler",
        help="Dask scheduler address (tcp://host:8786) for --backend dask; default VIEWCAST_DASK_SCHEDULER, "
        "else a local cluster of --workers processes.",
    )


def workers_option() -> Any:
    return typer.Option(2, "--workers", help="Worker processes of the local Dask cluster started when no scheduler is named.")


def backend_options(backend: str, scheduler: Optional[str], workers: int) -> dict[str, Any]:
    """The flags as the options of a config (``BackendConfig`` or an analysis config inheriting it)."""
    return {"backend": backend, "scheduler": scheduler, "workers": workers}
