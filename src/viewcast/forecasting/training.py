"""Fit a forecast: every member once, its backtest by forwarding, weights and calibrations.

One pass over a panel (:func:`fit_forecast`):

1. the members and the origins (:mod:`~viewcast.forecasting.members`,
   :mod:`~viewcast.forecasting.evaluation.origins`);
2. each member fitted once and forecast from every origin and from the last day
   (:func:`~viewcast.forecasting.members.fit_members`);
3. per-series weights from the backtest MAEs (:mod:`~viewcast.forecasting.evaluation.weights`),
   the combined forecasts moved on public holidays where a series' history shows a response
   (:mod:`~viewcast.forecasting.holiday_effects`) and set to 0 on its closed weekdays
   (:mod:`~viewcast.forecasting.closed_days`), each backtest window from the history before it;
4. the statistical members fitted on the total too, and the total forecast by the sum of the
   series or by its own combination, whichever scored lower (:mod:`~viewcast.forecasting.total`);
5. the scaled errors of the combined backtest forecasts, of the series and of the total,
   calibrate the bands (:mod:`~viewcast.forecasting.evaluation.intervals`), days that public
   holidays moved left out (their bands hold the moved and the ordinary forecast), closed
   days too (their bands are 0), and days the loader filled in (nobody observed them; nor do
   the weights of step 3 score them).

The final forecasts computed in step 2 are the forecast of the run: nothing is fitted twice,
and a saved model forecasting the same history takes the same path. The one exception is small:
a total served by its own forecast forwards its members (one series) once more from the last day,
when the forecast is projected.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from viewcast.forecasting.backtest import (
    Backtest,
    held_out_coverage,
    scaled_series_errors,
    total_errors_by_origin,
    total_forecast_windows,
)
from viewcast.forecasting.closed_days import closed_notes, window_open_days
from viewcast.forecasting.combination import Combination
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.evaluation.intervals import SERIES_TAILS, TOTAL_TAILS, ConformalCalibration
from viewcast.forecasting.evaluation.metrics import seasonal_scale
from viewcast.forecasting.evaluation.origins import observed_windows, windows
from viewcast.forecasting.evaluation.weights import TRIM, backtest_mae, combine, inverse_error_weights
from viewcast.forecasting.holiday_effects import panel_holidays, window_factors
from viewcast.forecasting.members import fit_members, plan_run
from viewcast.forecasting.models.base import GlobalMember
from viewcast.forecasting.panel import Panel
from viewcast.forecasting.total import DIRECT, DirectTotal, choose_total, fit_direct_total, total_panel


@dataclass
class Fit:
    """A fitted :class:`Combination`, its backtest and the member forecasts from the last day."""

    combination: Combination
    backtest: Backtest
    final: np.ndarray  # (members, series, horizon + longest lag)
    notes: list[str]
    timings: dict[str, float]
    study_lstm: GlobalMember | None = None

    @property
    def selection(self) -> str:
        """Why these members forecast, in one sentence."""
        members = self.combination.members
        if len(members) == 1:
            return "requested"
        counts = self.backtest.summary()["leaders"]
        leading = ", ".join(f"{name} on {count}" for name, count in sorted(counts.items(), key=lambda kv: -kv[1]) if count)
        return (
            f"per-series weights proportional to 1/MAE² over {', '.join(members)} from {self.backtest.backtest_origins} "
            f"weekly backtest origins; the largest weight goes to {leading} of {len(self.backtest.ids)} series"
            f"{_total_sentence(self.backtest.total_forecast)}"
        )


def _total_sentence(choice: dict[str, Any]) -> str:
    """Which forecast serves the total and why (empty for a single series)."""
    bottom_up, direct = choice.get("mae_bottom_up"), choice.get("mae_direct")
    if bottom_up is None or direct is None:
        return ""
    scores = (
        f"backtest MAE {direct:,.0f} for the total's own forecast and {bottom_up:,.0f} for the sum, "
        "each origin weighted on the others"
    )
    if choice["forecast"] == DIRECT:
        return f"; the total is forecast on its own, not as the sum of the series: {scores}"
    return f"; the total is the sum of the series: {scores}"


def _direct_combination(
    direct: DirectTotal, panel: Panel, calibration: ConformalCalibration, country: str | None, closed_days: bool
) -> Combination:
    """The total's own forecast as a combination of one series (calibrated as the total)."""
    return Combination(
        members=direct.members,
        weights=direct.weights,
        statistical=direct.statistical,
        global_members={},
        phase=total_panel(panel).weekdays(),
        calibration=calibration,
        total_calibration=calibration,
        trim=TRIM,
        holidays=country,
        closed_days=closed_days,
    )


def fit_forecast(panel: Panel, config: ForecastConfig) -> Fit:
    """Fit every member of the run once, weigh and calibrate their combination (see the module docstring)."""
    timings: dict[str, float] = {}
    plan, members, notes = plan_run(config, panel)
    lengths = plan.prefix_lengths(panel.lengths)
    fitted = fit_members(panel, plan, np.column_stack([lengths, panel.lengths]), members, config, timings)

    started = time.perf_counter()
    n_bt, n_cal, w = len(plan.backtest), len(plan.calendar), plan.window
    actual = windows(panel.values, lengths, w)
    observed = observed_windows(panel.values, panel.unobserved(), lengths, w)  # what errors are scored on
    scored = fitted.forecasts[:, :, :-1, :w]
    mae = backtest_mae(observed[:, :n_bt], scored[:, :, :n_bt])
    weights = inverse_error_weights(mae) if len(members) > 1 else np.ones((len(panel), 1))
    adjusted = config.model == "auto"
    country = config.holiday_country if adjusted else None
    holidays = panel_holidays(country, panel, plan.steps)
    opened = window_open_days(panel.values, lengths, w) if adjusted else np.ones(actual.shape, dtype=bool)
    ordinary = combine(weights, scored, TRIM) * opened
    factors = window_factors(panel.values, panel.starts, lengths, w, holidays)
    combined = ordinary * factors
    errors = np.where((factors != 1.0) | ~opened, np.nan, scaled_series_errors(observed, combined, panel, lengths))
    series_of = [np.flatnonzero(lengths[:, k] > 0) for k in range(n_bt + n_cal)]  # the series each origin has
    by_origin = [errors[series_of[k], k] for k in range(n_bt)]
    calendar = np.concatenate([errors[series_of[k], k] for k in range(n_bt, n_bt + n_cal)] or [np.empty((0, w))])
    calendar_series = np.concatenate(series_of[n_bt:] or [np.empty(0, dtype=np.int64)])
    direct = fit_direct_total(panel, plan, members) if len(members) > 1 else None
    total = total_panel(panel)
    total_lengths = plan.prefix_lengths(total.lengths)
    total_open = window_open_days(total.values, total_lengths, w)[0] if adjusted else np.ones(actual.shape[1:], dtype=bool)
    moved_direct = plain_direct = direct
    if direct is not None:
        plain_direct = direct.moved(total_open[None])
        moved_direct = plain_direct.moved(window_factors(total.values, total.starts, total_lengths, w, holidays))
    source, choice = choose_total(moved_direct, actual, scored, factors * opened, n_bt, observed)
    serving, plain = (moved_direct, plain_direct) if source == DIRECT else (None, None)
    total_actual, total_forecast, total_present = total_forecast_windows(actual, combined, serving)
    total_windows = (total_actual, total_forecast * total_open, total_present)
    total_ordinary = total_forecast_windows(actual, ordinary, plain)[1] * total_open
    total_by_origin, total_calendar = total_errors_by_origin(panel, plan, total_windows, total_ordinary, total_open)
    total_calibration = ConformalCalibration(np.concatenate(total_by_origin), total_calendar, TOTAL_TAILS)
    combination = Combination(
        members=members,
        weights=weights,
        statistical=fitted.statistical,
        global_members=fitted.global_members,
        phase=panel.weekdays(),
        calibration=ConformalCalibration(
            np.concatenate(by_origin),
            calendar,
            SERIES_TAILS,
            series=np.concatenate(series_of[:n_bt]),
            calendar_series=calendar_series,
        ),
        total_calibration=total_calibration,
        trim=TRIM,
        holidays=country,
        closed_days=adjusted,
        progress=config.progress,
        direct_total=None if serving is None else _direct_combination(serving, panel, total_calibration, country, adjusted),
    )
    backtest = Backtest(
        plan=plan,
        members=members,
        ids=list(panel.ids),
        actual=observed,
        forecasts=scored,
        benchmark=fitted.benchmark[:, :-1, :w],
        combined=combined,
        mae=mae,
        benchmark_mae=backtest_mae(observed[:, :n_bt], fitted.benchmark[None, :, :n_bt, :w])[:, 0],
        weights=weights,
        scale=np.array([seasonal_scale(v) for v in panel.values]),
        volume=np.array([float(np.mean(v[-28:])) for v in panel.values]),
        coverage={
            "series": held_out_coverage(by_origin, calendar, SERIES_TAILS, (series_of[:n_bt], calendar_series)),
            "total": held_out_coverage(total_by_origin, total_calendar, TOTAL_TAILS),
        },
        total_forecast={"forecast": source, **choice},
        total_windows=total_windows,
        total_ordinary=total_ordinary,
        total_open=total_open,
        own_upper_series=int(combination.calibration.own_series().sum()),
        reported=fitted.reported,
    )
    timings["calibration"] = time.perf_counter() - started
    notes = notes + fitted.notes + (closed_notes(panel) if adjusted else [])
    return Fit(combination, backtest, fitted.forecasts[:, :, -1], notes, timings, fitted.study)
