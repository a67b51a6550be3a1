"""Series younger than six weeks: their share of the panel on the days they have, carried forward.

A creator who joined three days ago has no weekday profile of their own, and every member of the
pool falls back to the mean of those days, a flat line; one who joined two or three weeks ago has
only seasonal naive (the other members need four weeks, ``MIN_FIT_DAYS``), which repeats a last
week that may have been a holiday; under six weeks the pool's weights were never scored on the
series. The panel's established series know the rest: the week (on the
real benchmark panels Monday and Saturday differ by a factor of several), a holiday, a common
trend. So a young series is forecast as its share of the established series' views on the days
it has, times their forecast on each day ahead (:func:`young_points`): one share under a week, a
share per weekday from two weeks (each weekday seen twice). Between one and two weeks the
series' own last week served better than a share read from one or two days per weekday. Under a
week the error scale is the error of that recipe measured on the established series themselves,
cut to as many days (:func:`young_error`).
"""

from __future__ import annotations

import numpy as np

from viewcast.forecasting.config import SEASON
from viewcast.forecasting.evaluation.origins import SCALE_DAYS
from viewcast.forecasting.models.statistical import MIN_FIT_DAYS
from viewcast.forecasting.panel import Panel

#: Days under which a series' own error scale rests on too few weekly differences (fewer than 7).
SCALE_MIN_DAYS = 2 * SEASON
#: Share of the panel's relative error scales a series under two weeks is given at least.
SCALE_QUANTILE = 0.75
#: Weekly origins, and days after each, on which the young recipe's own error is measured.
ERROR_ORIGINS, ERROR_DAYS = 4, 28
#: Days from which a young series' share is read per weekday: each weekday seen twice.
WEEKDAY_SHARE_DAYS = 2 * SEASON
#: Days from which a series is forecast by the pool: four weeks to fit every member, two to score it.
ESTABLISHED_DAYS = MIN_FIT_DAYS + 2 * SEASON


def is_young(panel: Panel) -> np.ndarray:
    """Series with less than a week of history, when the panel has established ones to learn from."""
    return (panel.lengths < SEASON) & established(panel).any()


def established(panel: Panel) -> np.ndarray:
    """Series the pool forecasts on its own (six weeks or more): the ones young series borrow from.

    Under six weeks a series has no backtest window, so the pool's weights for it were never
    scored; on 53 real series cut to 28 and 35 days the weekday share had 0.82 times seasonal
    naive's error, the pool 0.955 times.
    """
    return panel.lengths >= ESTABLISHED_DAYS


def established_daily(panel: Panel) -> tuple[int, np.ndarray]:
    """``(first day, views per day)`` summed over the established series, by absolute day."""
    first = int(panel.starts.min())
    total = np.zeros(int(panel.ends().max()) - first + 1)
    for start, values, keep in zip(panel.starts, panel.values, established(panel)):
        if keep:
            total[int(start) - first : int(start) - first + len(values)] += values
    return first, total


def weekday_shares(values: np.ndarray, base: np.ndarray, weekdays: np.ndarray) -> np.ndarray | None:
    """A series' share of ``base`` on each weekday (0-6) over the same days; None where a weekday
    has no established views to divide by."""
    views = np.bincount(weekdays, weights=values, minlength=SEASON)
    others = np.bincount(weekdays, weights=base, minlength=SEASON)
    return views / others if (others > 0).all() else None


def young_points(panel: Panel, point: np.ndarray) -> np.ndarray:
    """``point`` (series, days on the common dates) with each young series replaced by its share
    of the established series on its own days times their forecast ahead: one share under a week,
    one per weekday from two weeks to six."""
    older = established(panel)
    lengths = panel.lengths
    borrows = older.any() & ~older & ((lengths < SEASON) | (lengths >= WEEKDAY_SHARE_DAYS))
    if not borrows.any():
        return point
    first, daily = established_daily(panel)
    ahead = point[older].sum(axis=0)
    weekdays_ahead = (panel.first_weekday + int(panel.ends().max()) + 1 + np.arange(point.shape[1])) % SEASON
    out = point.copy()
    for i in np.flatnonzero(borrows):
        values, start = panel.values[i], int(panel.starts[i])
        base = daily[start - first : start - first + len(values)]
        if len(values) < SEASON:
            if base.sum() > 0:
                out[i] = values.sum() / base.sum() * ahead
            continue
        shares = weekday_shares(values, base, (panel.first_weekday + start + np.arange(len(values))) % SEASON)
        if shares is not None:
            out[i] = shares[weekdays_ahead] * ahead
    return out


def young_error(panel: Panel, days: int) -> float:
    """The typical error of the young recipe from ``days`` days of history, over their level.

    Every established series is cut to ``days`` days at four recent weekly origins and forecast
    four weeks ahead as its share of the panel times the panel's seasonal naive (a weaker forecast
    of the panel than the run's, so the error is not understated); the median of its mean absolute
    error over the mean of those days is a young series' error in units of its level. A young
    creator's error is mostly a few days' level being wrong, which the day-to-day noise of
    established series does not show. 1 (an error as large as the level) when nothing can be measured.
    """
    older = established(panel)
    first, daily = established_daily(panel)
    errors = []
    for start, values in zip(panel.starts[older], (v for v, keep in zip(panel.values, older) if keep)):
        offset = int(start) - first
        for k in range(ERROR_ORIGINS):
            end = len(values) - ERROR_DAYS - SEASON * k  # the origin, in the series' own days
            if end < max(days, SEASON):
                break
            history = values[end - days : end]
            base = daily[offset + end - days : offset + end].sum()
            if history.sum() <= 0 or base <= 0:
                continue
            panel_ahead = np.resize(daily[offset + end - SEASON : offset + end], ERROR_DAYS)
            ahead = history.sum() / base * panel_ahead
            errors.append(float(np.mean(np.abs(values[end : end + ERROR_DAYS] - ahead)) / history.mean()))
    return float(np.median(errors)) if errors else 1.0


def young_scales(panel: Panel, scale: np.ndarray) -> np.ndarray:
    """Error scales for the series too young for their own.

    A series under a week gets its level times :func:`young_error` for its length. One under two
    weeks keeps its own scale but at least its level times the upper quartile of the panel's
    relative scales (a few weekly differences can all be small by chance). Older series keep ``scale``.
    """
    lengths = panel.lengths
    under_two_weeks = lengths < SCALE_MIN_DAYS
    if not under_two_weeks.any() or under_two_weeks.all():
        return scale
    levels = np.array([max(float(np.mean(v[-SCALE_DAYS:])), 1.0) for v in panel.values])  # the scale's days
    relative = float(np.quantile(scale[~under_two_weeks] / levels[~under_two_weeks], SCALE_QUANTILE))
    own = np.where(lengths > SEASON, scale, 0.0)  # a week or less has no weekly difference
    out = np.where(under_two_weeks, np.maximum(own, levels * relative), scale)
    young = is_young(panel)
    errors = {n: young_error(panel, n) for n in set(lengths[young].tolist())}
    for i in np.flatnonzero(young):
        out[i] = levels[i] * errors[int(lengths[i])]
    return out
