"""Figure helpers on matplotlib's object-oriented API (no pyplot state, nothing to close).

``pyplot`` keeps every figure in a global registry until it is closed, which leaks memory in a
long-running service and couples plots to whatever else the process drew. Reports build
:class:`matplotlib.figure.Figure` objects directly and hand them to
:meth:`viewcast.io.outputs.OutputFolder.figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter


def new_figure(
    rows: int = 1, cols: int = 1, *, width: float = 10, height: float = 3.6, **kwargs: Any
) -> tuple[Figure, np.ndarray]:
    """A figure and its axes as a ``(rows, cols)`` array (always 2-D, even for one plot)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False, **kwargs)
    return figure, axes


def human_count(value: float, _position: Any = None) -> str:
    """Axis labels a planner reads at a glance: 950, 12K, 3.4M, 1.2B."""
    for bound, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= bound:
            return f"{value / bound:,.1f}{suffix}"
    return f"{value:,.0f}"


COUNT_FORMATTER = FuncFormatter(human_count)


def label_ticks(ax: Any, labels: Sequence[str], count: int = 7) -> None:
    """At most ``count`` evenly spaced tick labels along a categorical or date axis."""
    if not len(labels):
        return
    ticks = np.unique(np.linspace(0, len(labels) - 1, count).astype(int))
    ax.set_xticks(ticks, [labels[t] for t in ticks], fontsize=8)
