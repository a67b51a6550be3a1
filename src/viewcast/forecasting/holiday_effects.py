"""Public holidays ahead: each series' own past response to the same holiday, where it stands out.

No member of the pool knows the calendar. The history is cleaned before the members see it, so
last year's Christmas dip is not copied into an ordinary week, and the members then forecast
Christmas as an ordinary day. For the days ahead that are public holidays of ``country`` (the
``holidays`` package's calendar; a holiday observed on another day counts under its own name),
each series' combined forecast is multiplied by that series' own response to the same holiday in
its history:

    effect = mean over past occurrences of log((y + 1) / (baseline + 1)),

the baseline being the median of the same weekday one, two and three weeks either side (days that
are holidays themselves left out, at least two needed). An effect is applied only where it stands
out of the series' day-to-day noise, ``|effect| > 3 sd / sqrt(occurrences)``, ``sd`` being the
robust spread (1.4826 MAD) of the same log ratio on the ordinary days of its history: a series
that does not react to a calendar (a creator abroad, a calendar that is not the data's) keeps its
forecast. Where that holds the forecast moves by ``exp(effect)``, at most ``exp(3)`` either way.
Only an ``auto`` forecast is adjusted (a model asked for alone forecasts as it is), and only
where the days are calendar dates.

A response need not recur (a ragged panel's total loses the series that dipped; bitcoin's New
Year), and one such day in a backtest window, its error far out, set the conformal quantile of
every later step: the held-out capacity plans of a ragged total and two bitcoin cut-offs cost
16-38% more once the calendar came. So a day whose forecast moved is left out of the
calibration, and its bands are the hull of the bands around the moved and the ordinary forecast
(:class:`~viewcast.forecasting.combination.Projection`): a response that does not recur stays
inside the band, and the other days' bands are not widened by it.

Measured on the 39 development, fresh and other-kind panels (docs/forecast.md), one run each
with and without the US calendar: the totals at or below the best statsforecast peer went from
22 to 24 of 39 (geometric mean 0.951 → 0.921 times the best peer's error), the series from 0.910
to 0.906 (35 of 39 either way); the 365-day panels have no past occurrence of most holidays in
their 335 training days and hardly change. Backtest windows are adjusted the same way from the
history before their origin (:func:`window_factors`).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from viewcast.forecasting.evaluation.origins import per_origin

if TYPE_CHECKING:
    from viewcast.forecasting.panel import Panel

#: How many noise standard errors an effect must stand out by before it moves a forecast.
SIGNIFICANCE = 3.0
#: Same-weekday neighbours (days) whose median is a holiday's baseline.
NEIGHBOURS = np.array([-21, -14, -7, 7, 14, 21])
#: Fewest neighbours a baseline needs.
MIN_NEIGHBOURS = 2
#: Largest log effect applied (a factor of e^3 = 20 either way).
MAX_LOG_EFFECT = 3.0
#: Fewest ordinary days the noise is measured on.
MIN_NOISE_DAYS = 20
#: ``holidays`` option meaning no calendar.
NO_CALENDAR = "none"


@lru_cache(maxsize=64)
def supported_countries() -> frozenset[str]:
    """Country codes the ``holidays`` package has calendars for."""
    import holidays

    return frozenset(holidays.list_supported_countries())


def holiday_days(country: str, origin: str, first: int, last: int) -> dict[int, str]:
    """Day number (``t = 0`` on ``origin``) -> holiday name for days ``first .. last``."""
    import holidays

    day0 = date.fromisoformat(origin)
    start, end = day0 + timedelta(days=int(first)), day0 + timedelta(days=int(last))
    calendar = holidays.country_holidays(country, years=range(start.year, end.year + 1))
    out: dict[int, str] = {}
    for day, name in sorted(calendar.items()):
        t = (day - day0).days
        if first <= t <= last:
            out.setdefault(t, str(name).replace(" (observed)", ""))
    return out


def panel_holidays(country: str | None, panel: Panel, steps: int) -> dict[int, str]:
    """:func:`holiday_days` over a panel's days and ``steps`` days after its last one (none
    without a calendar, or where the days are day numbers, not dates)."""
    if country is None or panel.origin is None:
        return {}
    return holiday_days(country, panel.origin, int(panel.starts.min()), int(panel.ends().max()) + steps)


def _log_ratios(values: np.ndarray, days: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """log((y + 1) / (baseline + 1)) at positions ``days`` of ``values`` (NaN without a baseline);
    ``skip`` marks the positions that are holidays (never a baseline)."""
    near = days[:, None] + NEIGHBOURS[None, :]
    inside = (near >= 0) & (near < len(values))
    clipped = np.clip(near, 0, len(values) - 1)
    usable = inside & ~skip[clipped]
    baseline_values = np.where(usable, values[clipped], np.nan)
    enough = usable.sum(axis=1) >= MIN_NEIGHBOURS
    out = np.full(len(days), np.nan)
    if enough.any():
        baseline = np.nanmedian(baseline_values[enough], axis=1)
        out[enough] = np.log((values[days[enough]] + 1.0) / (baseline + 1.0))
    return out


def _noise(values: np.ndarray, skip: np.ndarray) -> float:
    """Robust spread of the ordinary days' log ratios (every third day, for speed); NaN if too few."""
    reach = int(NEIGHBOURS.max())
    days = np.arange(reach, len(values) - reach, 3)
    ratios = _log_ratios(values, days[~skip[days]], skip)
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) < MIN_NOISE_DAYS:
        return float("nan")
    return float(1.4826 * np.median(np.abs(ratios - np.median(ratios))))


def holiday_factors(values: np.ndarray, start: int, steps: int, names: dict[int, str]) -> np.ndarray:
    """Multipliers ``(steps,)`` for the days after a history ``values`` that began on day ``start``.

    ``names`` maps day numbers to holidays over the history and the days ahead (:func:`holiday_days`).
    """
    factors = np.ones(steps)
    end = start + len(values)  # the first day ahead
    ahead = {t - end: name for t, name in names.items() if end <= t < end + steps}
    if not ahead:
        return factors
    past: dict[str, list[int]] = {}
    for t, name in names.items():
        if start <= t < end:
            past.setdefault(name, []).append(t - start)
    if not any(name in past for name in ahead.values()):
        return factors
    skip = np.zeros(len(values), dtype=bool)
    skip[[i for occurrences in past.values() for i in occurrences]] = True
    noise = _noise(values, skip)
    if not np.isfinite(noise):
        return factors
    for step, name in ahead.items():
        ratios = _log_ratios(values, np.array(past.get(name, []), dtype=np.int64), skip)
        ratios = ratios[np.isfinite(ratios)]
        if not len(ratios):
            continue
        effect = float(np.mean(ratios))
        if abs(effect) > SIGNIFICANCE * noise / np.sqrt(len(ratios)):
            factors[step] = np.exp(np.clip(effect, -MAX_LOG_EFFECT, MAX_LOG_EFFECT))
    return factors


def window_factors(
    values: list[np.ndarray], starts: np.ndarray, lengths: np.ndarray, window: int, names: dict[int, str]
) -> np.ndarray:
    """``(series, origins, window)`` holiday factors of each window after an origin, the history
    of series ``i`` at origin ``k`` being its first ``lengths[i, k]`` days (0: none; factors 1)."""
    if not names:
        return np.ones((*np.shape(lengths), window))
    return per_origin(lengths, window, 1.0, lambda i, length: holiday_factors(values[i][:length], int(starts[i]), window, names))
