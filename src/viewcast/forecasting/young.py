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
series' own last week served better than a share read from one or two days per weekday. The
error scale of a series that borrows is the error of that recipe measured on the established
series themselves, cut to as many days (:func:`young_error`): its own, under a week; at least
that, from two weeks on.
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


def young_note(panel: Panel) -> list[str]:
    """Names the series younger than six weeks and says how they were forecast (none: no note)."""
    older = established(panel)
    young = [(uid, int(n)) for uid, n, keep in zip(panel.ids, panel.lengths, older) if not keep] if older.any() else []
    if not young:
        return []
    names = ", ".join(repr(uid) for uid, _ in young[:5]) + (" ..." if len(young) > 5 else "")
    has = "has" if len(young) == 1 else "have"
    return [
        f"{len(young)} series {has} less than the {ESTABLISHED_DAYS} days of history the pool of models is scored on "
        f"({names}; shortest {min(n for _, n in young)} days): each is forecast from the days it has, as its share of "
        "the established series' views (per weekday from two weeks on) times their forecast, or from one to two weeks "
        "by its own last week, with bands widened for their short history."
    ]


def borrowing(panel: Panel) -> np.ndarray:
    """Series forecast from the established series' views: under a week, and from two weeks to six
    (between one and two weeks a series repeats its own last week)."""
    older, lengths = established(panel), panel.lengths
    return older.any() & ~older & ((lengths < SEASON) | (lengths >= WEEKDAY_SHARE_DAYS))


def share_forecast(
    values: np.ndarray, base: np.ndarray, weekdays: np.ndarray, ahead: np.ndarray, weekdays_ahead: np.ndarray
) -> np.ndarray | None:
    """The young recipe: ``values``' share of ``base`` (the established views on the same days,
    whose weekdays are ``weekdays``) times ``ahead``, their forecast. One share under a week, one
    per weekday from there on. None where there is nothing to divide by."""
    if len(values) < SEASON:
        return values.sum() / base.sum() * ahead if base.sum() > 0 else None
    shares = weekday_shares(values, base, weekdays)
    return None if shares is None else shares[weekdays_ahead] * ahead


def young_points(panel: Panel, point: np.ndarray) -> np.ndarray:
    """``point`` (series, days on the common dates) with each series that :func:`borrowing` names
    replaced by :func:`share_forecast` of the established series' forecast."""
    borrows = borrowing(panel)
    if not borrows.any():
        return point
    first, daily = established_daily(panel)
    ahead = point[established(panel)].sum(axis=0)
    weekdays_ahead = (panel.first_weekday + int(panel.ends().max()) + 1 + np.arange(point.shape[1])) % SEASON
    out = point.copy()
    for i in np.flatnonzero(borrows):
        values, start = panel.values[i], int(panel.starts[i])
        base = daily[start - first : start - first + len(values)]
        weekdays = (panel.first_weekday + start + np.arange(len(values))) % SEASON
        forecast = share_forecast(values, base, weekdays, ahead, weekdays_ahead)
        if forecast is not None:
            out[i] = forecast
    return out


def young_error(panel: Panel, days: int) -> float | None:
    """The typical error of the young recipe from ``days`` days of history, over their level
    (None: nothing to measure it on).

    Every established series is cut to ``days`` days at four recent weekly origins and forecast
    four weeks ahead by :func:`share_forecast` of the panel's seasonal naive (a weaker forecast of
    the panel than the run's, so the error is not understated); the median of its mean absolute
    error over the mean of those days is a young series' error in units of its level. A young
    creator's error is mostly a few days' level (or weekday shares) being wrong, which the
    day-to-day noise of its own short history does not show.
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
            weekdays = (panel.first_weekday + int(start) + end - days + np.arange(days)) % SEASON
            panel_ahead = np.resize(daily[offset + end - SEASON : offset + end], ERROR_DAYS)
            weekdays_ahead = (panel.first_weekday + int(start) + end + np.arange(ERROR_DAYS)) % SEASON
            base = daily[offset + end - days : offset + end]
            ahead = share_forecast(history, base, weekdays, panel_ahead, weekdays_ahead)
            if history.sum() <= 0 or ahead is None:
                continue
            errors.append(float(np.mean(np.abs(values[end : end + ERROR_DAYS] - ahead)) / history.mean()))
    return float(np.median(errors)) if errors else None


def young_scales(panel: Panel, scale: np.ndarray) -> np.ndarray:
    """Error scales for the series too young for their own.

    A series under a week has no weekly difference: it gets its level times :func:`young_error`
    for its length (an error as large as its level when nothing can be measured). One from two to
    six weeks keeps its own scale but at least that: its few weekly differences say how the series
    moves from week to week, not how wrong a share read from a few weeks is (on 53 real series cut
    to 14 days, 17% of one panel's held-out days rose above hi95 on the own scale alone, at most
    3.3% with this floor). One under two weeks keeps its own scale but at least its level times the
    upper quartile of the panel's relative scales (a few weekly differences can all be small by
    chance). Older series keep ``scale``.
    """
    lengths = panel.lengths
    levels = np.array([max(float(np.mean(v[-SCALE_DAYS:])), 1.0) for v in panel.values])  # the scale's days
    out = np.asarray(scale, dtype=float).copy()
    under_two_weeks = lengths < SCALE_MIN_DAYS
    if under_two_weeks.any() and not under_two_weeks.all():
        relative = float(np.quantile(scale[~under_two_weeks] / levels[~under_two_weeks], SCALE_QUANTILE))
        own = np.where(lengths > SEASON, scale, 0.0)  # a week or less has no weekly difference
        out[under_two_weeks] = np.maximum(own, levels * relative)[under_two_weeks]
    borrows = borrowing(panel)
    errors = {n: young_error(panel, n) for n in set(lengths[borrows].tolist())}
    for i in np.flatnonzero(borrows):
        error = errors[int(lengths[i])]
        if lengths[i] < SEASON:
            out[i] = levels[i] * (1.0 if error is None else error)
        elif error is not None:
            out[i] = max(out[i], levels[i] * error)
    return out
