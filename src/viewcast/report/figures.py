"""Figure helpers on matplotlib's object-oriented API (no pyplot state, nothing to close).

``pyplot`` keeps every figure in a global registry until it is closed, which leaks memory in a
long-running service and couples plots to whatever else the process drew. Reports build
:class:`matplotlib.figure.Figure` objects directly and hand them to
:meth:`viewcast.io.outputs.OutputFolder.figure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import FuncFormatter

#: Fonts a name drawn in a figure may use, character by character, where they are installed:
#: creators name themselves in every script (matplotlib's own DejaVu Sans has Latin, Greek and
#: Cyrillic, but no Chinese, Japanese, Korean, Arabic, Devanagari, Thai or emoji).
NAME_FONTS = (
    "DejaVu Sans",
    "Noto Sans",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
    "Noto Sans Thai",
    "Noto Emoji",
    "IPAexGothic",
    "WenQuanYi Zen Hei",
    "Hiragino Sans",
    "Microsoft YaHei",
    "Malgun Gothic",
    "Arial Unicode MS",
)


def new_figure(
    rows: int = 1, cols: int = 1, *, width: float = 10, height: float = 3.6, **kwargs: Any
) -> tuple[Figure, np.ndarray]:
    """A figure and its axes as a ``(rows, cols)`` array (always 2-D, even for one plot)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False, **kwargs)
    return figure, axes


@lru_cache(maxsize=1)
def installed_name_fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """The :data:`NAME_FONTS` this machine has, and every character (code point) one of them draws."""
    families, characters = [], set()
    for family in NAME_FONTS:
        try:
            path = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        families.append(family)
        characters.update(FT2Font(path).get_charmap())
    return tuple(families), frozenset(characters)


def name_fonts() -> tuple[str, ...]:
    """The installed :data:`NAME_FONTS`: the ``fontfamily`` to draw a :func:`drawable` name with."""
    return installed_name_fonts()[0]


def drawable(text: str) -> str:
    """``text`` with each character no installed font draws written as its code point (``\\u661f``, ``\\U0001f525``).

    Matplotlib draws such a character as an empty box, so a name in a script the machine has no
    font for would come out as a row of boxes, matching no row of ``forecast.csv``; its code
    points still do. Draw the result with ``fontfamily=name_fonts()``.
    """
    characters = installed_name_fonts()[1]
    return "".join(c if c.isspace() or ord(c) in characters else ascii(c)[1:-1] for c in text)


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
