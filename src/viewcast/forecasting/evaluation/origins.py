"""Where the backtest forecasts from: weekly origins before each series' end, and last year's.

* **Backtest origins** lie ``window``, ``window + 7``, ``window + 14``, ... days before each series'
  last day (12 by default), so every forecast window is scored on days the model was not given,
  and each has the same mix of weekdays. Weekly spacing gives overlapping windows: twelve of them
  weigh members and calibrate bands far better than two or three disjoint ones (the research
  behind this, docs/forecast.md, traced a panel-wide wrong model choice to two windows).
* **Calendar origins** (series with a year and 90 days of history) lie 371, 364 and 357 days
  before the end: the same weeks one year earlier. A holiday in the coming weeks was then in
  last year's window, and its errors widen the bands where the recent origins never saw one.
* **Short histories** (the study's 50 days) get shorter windows so that three origins still fit;
  beyond a window's last day the bands grow like the square root of the horizon (a note says so).

Offsets count back from each series' own last day, so a series that ended early is backtested
on its own recent past. A series too young for an origin simply has no forecast from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from viewcast.errors import DataValidationError
from viewcast.forecasting.evaluation.intervals import covers_every_step

#: Fewest days of history a backtest origin forecasts from (two weeks: what a weekly model needs).
MIN_TRAIN = 14
#: Days between backtest origins.
STEP = 7
#: Origins that short histories keep by shortening their windows.
MIN_ORIGINS = 3
#: Offsets of the calendar origins: the same weeks one year (52 weeks) earlier.
CALENDAR_OFFSETS = (371, 364, 357)
#: Shortest series that gets calendar origins: a year plus 90 days.
CALENDAR_MIN_DAYS = 455
#: Days over which the error scale is measured before an origin ("the recent error level").
SCALE_DAYS = 56
#: An origin with a day filled in by the loader among this many days before it is not scored
#: (where the series' own last days are all observed): the members' recent states (the last
#: week, the level) rest on it.
RUN_IN_DAYS = 14


@dataclass(frozen=True)
class OriginPlan:
    """The backtest of one panel: which windows, from which offsets."""

    window: int  # days each backtest forecast is scored on
    steps: int  # days the final forecast covers: the horizon plus the longest lag
    backtest: tuple[int, ...]  # days before each series' end, nearest first
    calendar: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def offsets(self) -> tuple[int, ...]:
        """Backtest offsets, then calendar offsets (the columns of every backtest array)."""
        return self.backtest + self.calendar

    def prefix_lengths(self, lengths: np.ndarray) -> np.ndarray:
        """``(series, offsets)``: days of history each origin forecasts from (0 where it has none)."""
        lengths = np.asarray(lengths)[:, None]
        prefix = lengths - np.array(self.offsets, dtype=np.int64)[None, :]
        usable = prefix >= MIN_TRAIN
        if self.calendar:
            usable[:, len(self.backtest) :] &= lengths >= CALENDAR_MIN_DAYS
        return np.where(usable, prefix, 0)


def plan_origins(lengths: np.ndarray, horizon: int, longest_lag: int, max_origins: int) -> OriginPlan:
    """Backtest windows for a panel's history; shorter windows (with a note) when it is short."""
    longest = int(np.max(lengths))
    steps = horizon + longest_lag
    notes: list[str] = []
    window = steps
    for origins in range(min(MIN_ORIGINS, max_origins), 0, -1):
        window = min(steps, longest - MIN_TRAIN - STEP * (origins - 1))
        if window >= 1:
            break
    if window < 1:
        raise DataValidationError(
            f"history too short: the longest series has {longest} days; a forecast needs at least {MIN_TRAIN + 1} "
            f"({MIN_TRAIN} to fit the models and one to check them)",
            param="data",
        )
    count = min(max_origins, (longest - window - MIN_TRAIN) // STEP + 1)
    if window < steps:
        notes.append(
            f"History too short for {steps}-day backtest windows: {count} origin(s) of {window} days (longest series "
            f"{longest} days)."
        )
    calendar = CALENDAR_OFFSETS if longest >= CALENDAR_MIN_DAYS and window <= min(CALENDAR_OFFSETS) else ()
    return OriginPlan(window, steps, tuple(window + STEP * j for j in range(count)), calendar, tuple(notes))


def per_origin(lengths: np.ndarray, window: int, fill: float, make: Callable[[int, int], np.ndarray]) -> np.ndarray:
    """``(series, origins, window)``: ``make(i, length)`` at every origin of series ``i`` (its
    history there being its first ``lengths[i, k] > 0`` days), ``fill`` where it has none. The one
    loop behind every per-origin table: actual views, closed weekdays, holiday factors."""
    lengths = np.asarray(lengths)
    out = np.full((*lengths.shape, window), fill)
    for (i, k), length in np.ndenumerate(lengths):
        if length > 0:
            out[i, k] = make(i, int(length))
    return out


def windows(values: list[np.ndarray], lengths: np.ndarray, window: int) -> np.ndarray:
    """``(series, offsets, window)`` actual views after each origin (NaN where there is no origin)."""
    return per_origin(lengths, window, np.nan, lambda i, length: values[i][length : length + window])


def observed_windows(
    values: list[np.ndarray], unobserved: list[np.ndarray] | None, lengths: np.ndarray, window: int
) -> np.ndarray:
    """:func:`windows` with NaN also on the days :func:`left_out_days` names (filled in by the
    loader, :meth:`~viewcast.forecasting.panel.Panel.unobserved`): what errors are scored on."""
    actual = windows(values, lengths, window)
    hidden = left_out_days(unobserved, lengths, window)
    return actual if hidden is None else np.where(hidden, np.nan, actual)


def left_out_days(unobserved: list[np.ndarray] | None, lengths: np.ndarray, window: int) -> np.ndarray | None:
    """``(series, offsets, window)`` True on the backtest days no error is scored on
    (:func:`unobserved_windows`), or None: there are none, or leaving them out would leave a
    step of the window with no scored day around it (series filled in almost everywhere are
    scored as they are: bands need errors at every step)."""
    if unobserved is None:
        return None
    hidden = unobserved_windows(unobserved, lengths, window)
    return hidden if covers_every_step(np.where(hidden, np.nan, 0.0)[lengths > 0]) else None


def unobserved_windows(unobserved: list[np.ndarray], lengths: np.ndarray, window: int) -> np.ndarray:
    """``(series, offsets, window)`` True on the days after each origin that ``unobserved`` names.

    Where a series' last :data:`RUN_IN_DAYS` are all observed, so is the run-in of the forecast
    made now, and an origin with a filled day among the days before it is left out whole: its
    forecast starts from made-up days (a seasonal naive repeats a flat interpolated week), so its
    errors are the fill's. A series whose recent days were filled too (a source that drops a day
    here and there, every week) keeps such origins, since they are like its forecast now.
    """
    clean_now = [not hidden[-RUN_IN_DAYS:].any() for hidden in unobserved]

    def hidden(i: int, length: int) -> np.ndarray:
        if clean_now[i] and unobserved[i][max(0, length - RUN_IN_DAYS) : length].any():
            return np.ones(window, dtype=bool)
        return unobserved[i][length : length + window]

    return per_origin(lengths, window, False, hidden).astype(bool)


def summed_windows(actual: np.ndarray, forecast: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The total's ``(actual, forecast, present)`` at every origin from ``(series, origins, window)``
    windows: sums over the series that have a forecast there (a series too young for an origin
    adds neither views nor forecast); ``present[k]`` is whether any series has one."""
    present = np.isfinite(actual[:, :, 0])
    mask = present[:, :, None]
    return np.where(mask, actual, 0.0).sum(axis=0), np.where(mask, forecast, 0.0).sum(axis=0), present.any(axis=0)


def recent_scale(values: np.ndarray, ends: np.ndarray | list[int], unobserved: np.ndarray | None = None) -> np.ndarray:
    """The error scale of a series at each ``end``: mean |y[t] - y[t-7]| over the 56 days before it.

    It is the seasonal naive's recent error, so bands follow the series' current noise level
    (a creator who grew tenfold is not judged by last year's small errors). Differences that
    touch an ``unobserved`` day (filled in by the loader) are left out: an interpolated stretch
    has no weekly profile, and would make the scale look calm. It falls back to the mean level
    (at least one view) when those days are constant.
    """
    values = np.asarray(values, dtype=float)
    ends = np.asarray(ends, dtype=np.int64)
    diffs = np.abs(values[7:] - values[:-7]) if len(values) > 7 else np.empty(0)
    counted = np.ones(len(diffs), dtype=bool)
    if unobserved is not None and len(diffs):
        counted = ~(unobserved[7:] | unobserved[:-7])
    cumulative = np.concatenate([[0.0], np.cumsum(np.where(counted, diffs, 0.0))])
    count = np.concatenate([[0], np.cumsum(counted)])
    level = np.concatenate([[0.0], np.cumsum(np.abs(values))])
    out = np.ones(len(ends))
    for k, end in enumerate(ends):
        first = max(7, end - SCALE_DAYS)
        days = count[end - 7] - count[first - 7] if end > first else 0
        if days > 0:
            scale = (cumulative[end - 7] - cumulative[first - 7]) / days
            if scale > 0:
                out[k] = scale
                continue
        if end > 0:
            out[k] = max(level[end] / end, 1.0)
    return out
