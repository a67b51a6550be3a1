"""Rich progress bars that switch themselves off where nobody is watching.

Long work (training epochs, backtest folds, sweeps) shows a bar on an interactive terminal and
stays silent in pipes, CI logs and tests (``VIEWCAST_PROGRESS=0`` forces it off, ``=1`` on).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_active = False


def progress_enabled() -> bool:
    setting = os.environ.get("VIEWCAST_PROGRESS")
    if setting is not None:
        return setting not in ("0", "false", "no", "")
    return sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, total: int | None, enabled: bool = True) -> Iterator[Callable[..., None]]:
    """Yield ``advance(n=1)``; draws a Rich bar on stderr when enabled and interactive."""
    global _active
    if _active or not (enabled and progress_enabled()):
        # Rich allows one live display at a time: a bar inside a bar (epochs inside backtest
        # folds) stays silent and the outer bar keeps counting.
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    _active = True
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task(description, total=total)
            yield lambda n=1: progress.advance(task, n)
    finally:
        _active = False
