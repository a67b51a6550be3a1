"""Closed weekdays: days a series had no views in each of its last eight weeks, though it had on others.

A shop closed on Saturdays, a service that only counts working days: every member forecasts such
a day from its neighbours (the trimmed mean of ETS, MSTL and LightGBM gives a few percent of a
weekday's level), and the band, whose width belongs to the series and not to the day (the
level-proportional widths in docs/forecast.md widened the other panels), adds a whole weekday's
width to a day that has always been zero. On the UK shop's 30 products (the other-kind panels)
that was a tenth of the series' sum(hi95).

So where a weekday was zero in each of the series' last ``CLOSED_WEEKS`` weeks and the series
had views on another weekday of those weeks, the forecast on that weekday ahead is 0 and so are
both bounds; those days calibrate nothing, so the other days' bands are what the open days'
errors say. A series with no views at all in those weeks is left as it is: a creator who paused
may come back on any day. The rule reads only the history before the day it forecasts from, so
each backtest origin finds its own closed weekdays. Only ``auto`` applies it (a model asked for
alone forecasts as it is). No series of the development or fresh panels has a closed weekday;
on the shop's five cut-offs the series' sum(hi95) fell 8-9% and the total's error up to 5%
(docs/forecast.md, section 4c).
"""

from __future__ import annotations

import numpy as np

from viewcast.forecasting.config import SEASON
from viewcast.forecasting.data import ROUTINE_WEEKS, WEEKDAYS
from viewcast.forecasting.evaluation.origins import per_origin
from viewcast.forecasting.panel import Panel

#: Weeks a weekday must have been zero, every one of them, to be forecast as closed (as many as
#: a weekday must have had no rows for the loader to read its gaps as zeros).
CLOSED_WEEKS = ROUTINE_WEEKS
#: Series the note names one by one.
LISTED = 10


def open_days(history: np.ndarray, steps: int) -> np.ndarray:
    """``(steps,)`` bools: True on the days after ``history`` ends on which the series is open."""
    opened = np.ones(steps, dtype=bool)
    days = SEASON * CLOSED_WEEKS
    if len(history) < days:
        return opened
    recent = np.asarray(history[-days:], dtype=float).reshape(CLOSED_WEEKS, SEASON)
    closed = np.all(recent == 0.0, axis=0)  # column p: the weekday of day len(history) + p ahead, p < 7
    if closed.all():
        return opened
    return ~closed[np.arange(steps) % SEASON]


def window_open_days(values: list[np.ndarray], lengths: np.ndarray, window: int) -> np.ndarray:
    """``(series, origins, window)`` :func:`open_days` after each origin, the history of series
    ``i`` at origin ``k`` being its first ``lengths[i, k]`` days (0: no origin; all open)."""
    return per_origin(lengths, window, True, lambda i, length: open_days(values[i][:length], window))


def closed_notes(panel: Panel) -> list[str]:
    """A sentence naming the series forecast as closed on some weekdays (none when there are none)."""
    listed = []
    for name, series, end in zip(panel.ids, panel.values, panel.ends()):
        closed = np.flatnonzero(~open_days(series, SEASON))
        if len(closed):
            weekdays = sorted((panel.first_weekday + int(end) + 1 + closed) % SEASON)
            days = ", ".join(WEEKDAYS[d] if panel.origin else f"days {d} mod 7" for d in weekdays)
            listed.append(f"{name} ({days})")
    if not listed:
        return []
    shown = "; ".join(listed[:LISTED]) + (f"; and {len(listed) - LISTED} more" if len(listed) > LISTED else "")
    return [
        f"{len(listed)} series had no views on some weekdays in each of their last {CLOSED_WEEKS} weeks and are "
        f"forecast as closed on them (0, with no band): {shown}."
    ]
