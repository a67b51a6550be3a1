"""Fit a forecast: every member once, its backtest by forwarding, weights and calibrations.

One pass over a panel (:func:`fit_forecast`):

1. the members: ``auto``'s pool for this panel (AutoETS left out above 200 series, LightGBM for
   a single series), or the one model asked for, refused with a reason if the history is too
   short for it;
2. the origins (:mod:`~viewcast.forecasting.evaluation.origins`);
3. each statistical member fitted once per series on the cleaned history, in worker processes
   (local ones, or a Dask cluster's with ``backend="dask"``: partitions of whole series), and
   forwarded from every origin's cleaned prefix and from the last day; each global member
   trained once (LightGBM at the earliest backtest origin, the LSTM by the study's recipe) and
   run from every origin and from the last day;
4. per-series weights from the backtest MAEs (:mod:`~viewcast.forecasting.evaluation.weights`),
   the combined forecasts moved on public holidays where a series' history shows a response
   (:mod:`~viewcast.forecasting.holiday_effects`; each backtest window from the history before it);
5. the statistical members fitted on the total too, and the total forecast by the sum of the
   series or by its own combination, whichever scored lower (:mod:`~viewcast.forecasting.total`);
6. the scaled errors of the combined backtest forecasts, of the series and of the total,
   calibrate the bands (:mod:`~viewcast.forecasting.evaluation.intervals`), days that public
   holidays moved left out (their bands hold the moved and the ordinary forecast).

The final forecasts computed in step 3 are the forecast of the run: nothing is fitted twice,
and a saved model forecasting the same history takes the same path. The one exception is small:
a total served by its own forecast forwards its members (one series) once more from the last day,
when the forecast is projected.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from viewcast.compute import PendingPartitions, interleaved_partitions, start_partitions
from viewcast.errors import DataValidationError
from viewcast.forecasting.combination import Combination
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.evaluation.intervals import BANDS, SERIES_TAILS, TOTAL_TAILS, ConformalCalibration
from viewcast.forecasting.evaluation.metrics import relative_mae, seasonal_scale
from viewcast.forecasting.evaluation.origins import OriginPlan, plan_origins, recent_scale, summed_windows, windows
from viewcast.forecasting.evaluation.weights import TRIM, backtest_mae, combine, inverse_error_weights
from viewcast.forecasting.holiday_effects import panel_holidays, window_factors
from viewcast.forecasting.models import (
    AUTO_MEMBERS,
    DESCRIPTIONS,
    GLOBAL,
    LARGE_PANEL,
    LARGE_PANEL_SKIPS,
    NAIVE,
    STATISTICAL,
    global_class,
)
from viewcast.forecasting.models.base import GlobalMember
from viewcast.forecasting.models.boosting import MIN_TRAINING_ROWS
from viewcast.forecasting.models.lag_features import LOOKBACK
from viewcast.forecasting.models.statistical import (
    MIN_FIT_DAYS,
    PendingTasks,
    SeriesTask,
    StatisticalModels,
    jobs_for,
    run_series,
)
from viewcast.forecasting.models.yearly import YEARLY_MIN_DAYS
from viewcast.forecasting.panel import Panel
from viewcast.forecasting.total import DIRECT, DirectTotal, choose_total, fit_direct_total, total_panel

#: Backtest origins at most on panels above ``LARGE_PANEL`` series (forwards are most of their cost).
LARGE_PANEL_ORIGINS = 8
#: Series listed one by one in the report (the rest are in weights.csv).
LISTED_SERIES = 30
#: Series per Dask partition: ~10-60 s of statistical fits each, few enough tasks for the scheduler
#: at a million series (10,000), at least ``DASK_MIN_PARTITIONS`` so that every worker has work.
DASK_PARTITION_SERIES = 100
DASK_MIN_PARTITIONS = 16


@dataclass
class Backtest:
    """Every backtest forecast of a run, with what it was scored and calibrated on.

    Arrays are ``(series, origins, window)`` (members first where there are several); the
    origins are the plan's backtest offsets, then its calendar offsets.
    """

    plan: OriginPlan
    members: tuple[str, ...]
    ids: list[str]
    actual: np.ndarray
    forecasts: np.ndarray
    benchmark: np.ndarray
    combined: np.ndarray
    mae: np.ndarray  # (series, members)
    benchmark_mae: np.ndarray  # (series,)
    weights: np.ndarray  # (series, members)
    scale: np.ndarray  # (series,) MASE scale of each series' whole history
    volume: np.ndarray  # (series,) mean daily views of the last four weeks
    coverage: dict[str, dict[str, float | None]]
    total_forecast: dict[str, Any]  # which forecast serves the total, and the scores it was chosen on
    total_windows: tuple[np.ndarray, np.ndarray, np.ndarray]  # the total's (actual, forecast, present)
    total_ordinary: np.ndarray  # the total's forecast before public holidays moved it (origins, window)
    own_upper_series: int  # series whose upper side also reads their own errors (evaluation/intervals.py)
    reported: dict[str, np.ndarray] = field(default_factory=dict)  # trained for the report only

    @property
    def backtest_origins(self) -> int:
        return len(self.plan.backtest)

    def _scores(self, forecasts: np.ndarray) -> dict[str, float | None]:
        k = self.backtest_origins
        mae = backtest_mae(self.actual[:, :k], forecasts[None, :, :k])[:, 0]
        with np.errstate(invalid="ignore"):
            mase = np.nanmean(mae / self.scale) if np.isfinite(mae).any() else None
        return {"mase": None if mase is None else float(mase), "relative_mae": relative_mae(mae, self.benchmark_mae)}

    def weights_table(self) -> pd.DataFrame:
        """One row per series: the leading member, each member's weight and backtest MAE."""
        leader = np.array(self.members)[np.argmax(self.weights, axis=1)]
        table = pd.DataFrame({"series": self.ids, "leader": leader, "mean_daily_views": self.volume})
        for m, name in enumerate(self.members):
            table[f"weight_{name}"] = self.weights[:, m]
        for m, name in enumerate(self.members):
            table[f"mae_{name}"] = self.mae[:, m]
        if NAIVE not in self.members:
            table["mae_seasonal_naive_benchmark"] = self.benchmark_mae
        return table

    def summary(self) -> dict[str, Any]:
        """What metrics.json and the report say about the backtest."""
        leaders = np.array(self.members)[np.argmax(self.weights, axis=1)]
        members = {
            name: {
                "description": DESCRIPTIONS[name],
                **self._scores(self.forecasts[m]),
                "leads": int(np.sum(leaders == name)),
                "mean_weight": float(self.weights[:, m].mean()),
            }
            for m, name in enumerate(self.members)
        }
        order = np.argsort(-self.volume, kind="stable")[:LISTED_SERIES]
        listed = [
            {
                "series": self.ids[i],
                "leader": str(leaders[i]),
                "weights": {name: float(self.weights[i, m]) for m, name in enumerate(self.members)},
                "mae": {name: _finite(self.mae[i, m]) for m, name in enumerate(self.members)},
            }
            for i in order
        ]
        return {
            "origins": self.backtest_origins,
            "calendar_origins": len(self.plan.calendar),
            "own_upper_series": self.own_upper_series,
            "window_days": self.plan.window,
            "step_days": 7,
            "series": len(self.ids),
            "members": members,
            "benchmark": {"name": NAIVE, **self._scores(self.benchmark)},
            "combination": {**self._scores(self.combined), **self.coverage["series"]},
            "total": {**self.coverage["total"], **self.total_forecast},
            "leaders": {name: int(np.sum(leaders == name)) for name in self.members},
            "per_series": listed,
            "reported_only": {name: {"description": DESCRIPTIONS[name], **self._scores(f)} for name, f in self.reported.items()},
        }


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


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def lgbm_training_rows(panel: Panel, plan: OriginPlan) -> int:
    """Rows LightGBM would learn from when trained at the earliest backtest origin."""
    return int(np.maximum(panel.lengths - plan.backtest[-1] - LOOKBACK, 0).sum())


def check_lstm_history(config: ForecastConfig, panel: Panel) -> None:
    """Refuse ``model="lstm"`` on histories too short for the study's train/validation split."""
    shortest = int(panel.lengths.min())
    if config.model == "lstm" and shortest < config.lstm.min_history() + 1:
        raise DataValidationError(
            f"history too short for model lstm: it needs at least {config.lstm.min_history() + 1} days per series, "
            f"the shortest series has {shortest}",
            param="model",
        )


def choose_members(config: ForecastConfig, panel: Panel, plan: OriginPlan) -> tuple[tuple[str, ...], list[str]]:
    """The members of this run, and notes on those ``auto`` leaves out; LightGBM asked for alone
    on a panel it cannot learn from is refused."""
    n = len(panel)
    rows = lgbm_training_rows(panel, plan)
    if config.model == "lgbm" and (n < 2 or rows < MIN_TRAINING_ROWS):
        raise DataValidationError(
            f"model lgbm learns across series: it needs at least 2 series and {MIN_TRAINING_ROWS} series-days before "
            f"the earliest backtest origin beyond its {LOOKBACK}-day lookback (this panel: {n} series, {rows} days)",
            param="model",
        )
    if config.model != "auto":
        return (config.model,), []
    names, notes = list(AUTO_MEMBERS), []
    if n > LARGE_PANEL:
        names = [m for m in names if m not in LARGE_PANEL_SKIPS]
        notes.append(
            f"AutoETS left out of auto for {n} series (more than {LARGE_PANEL}): it is most of the statistical cost; "
            "ask for model ets to run it alone."
        )
    earliest = int(panel.lengths.max()) - plan.backtest[-1]
    if earliest < YEARLY_MIN_DAYS:  # the yearly member would be the weekly MSTL again
        names.remove("mstl_yearly")
        notes.append(
            f"Yearly MSTL left out: it needs {YEARLY_MIN_DAYS} days of history before the earliest backtest origin; "
            f"the longest series has {max(earliest, 0)}."
        )
    if n < 2:
        names.remove("lgbm")
        notes.append("LightGBM learns across series: left out of a forecast of one series.")
    elif rows < MIN_TRAINING_ROWS:
        names.remove("lgbm")
        notes.append(f"LightGBM left out: only {rows} series-days to learn from before the earliest backtest origin.")
    return tuple(names), notes


def _fit_global(name: str, panel: Panel, plan: OriginPlan, config: ForecastConfig) -> GlobalMember:
    """LightGBM learns from every series up to the earliest backtest origin (its backtest is then
    out of sample); the LSTM follows the study's recipe on the whole history."""
    if name == "lstm":
        return global_class("lstm").from_config(config).fit(panel)
    rows = np.arange(len(panel))
    cut = np.maximum(panel.lengths - plan.backtest[-1], 0)
    threads = 1  # one LightGBM thread: on a shared 2-core machine two threads ran 2.5x slower per tree
    return global_class(name)(seed=config.seed, threads=threads).fit(panel.prefixes(rows[cut > 0], cut[cut > 0]))


def _global_forecasts(member: GlobalMember, panel: Panel, starts: np.ndarray, calendar: int, steps: int) -> np.ndarray:
    """``(series, origins + 1, steps)`` forecasts of a global member from every backtest origin and
    the last day at once (one history per series and origin; none from calendar origins)."""
    usable = starts > 0
    if calendar:
        usable[:, -1 - calendar : -1] = False
    rows, cols = np.nonzero(usable)
    out = np.full((*starts.shape, steps), np.nan)
    out[rows, cols] = np.maximum(member.predict(panel.prefixes(rows, starts[rows, cols]), steps, rows=rows), 0.0)
    return out


def _scaled_errors(actual: np.ndarray, forecast: np.ndarray, panel: Panel, lengths: np.ndarray) -> np.ndarray:
    """``(series, origins, window)`` errors divided by each origin's recent error scale (NaN: no origin)."""
    scale = np.full(lengths.shape, np.nan)
    for i, values in enumerate(panel.values):
        present = lengths[i] > 0
        scale[i, present] = recent_scale(values, lengths[i, present])
    return (actual - forecast) / scale[..., None]


def _total_windows(
    actual: np.ndarray, combined: np.ndarray, direct: DirectTotal | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The total's ``(actual, forecast, present)`` at every origin, ``(origins, window)``: the
    direct forecast's if it serves the total, else the series' sums (:func:`summed_windows`)."""
    if direct is None:
        return summed_windows(actual, combined)
    return direct.actual[0], direct.combined[0], np.isfinite(direct.actual[0, :, 0])


def scaled_total_errors(
    panel: Panel, plan: OriginPlan, total_windows: tuple[np.ndarray, np.ndarray, np.ndarray], ordinary: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The total's backtest errors ``(origins, window)`` divided by its recent error scale at each
    origin (NaN on days public holidays moved from ``ordinary``, which calibrate nothing), and
    those scales ``(origins,)``."""
    total = panel.aligned_total()
    actual, forecast, _ = total_windows
    scale = recent_scale(total, [len(total) - offset for offset in plan.offsets])
    return np.where(forecast != ordinary, np.nan, (actual - forecast) / scale[:, None]), scale


def _total_errors(
    panel: Panel, plan: OriginPlan, total_windows: tuple[np.ndarray, np.ndarray, np.ndarray], ordinary: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """:func:`scaled_total_errors` as one ``(1, window)`` array per backtest origin (empty where
    there is none), and the calendar origins' rows."""
    errors, _ = scaled_total_errors(panel, plan, total_windows, ordinary)
    present = total_windows[2]
    n_bt = len(plan.backtest)
    return [errors[k : k + 1] if present[k] else errors[:0] for k in range(n_bt)], errors[n_bt:][present[n_bt:]]


def _held_out_coverage(
    by_origin: list[np.ndarray],
    calendar: np.ndarray,
    tails: tuple,
    series: tuple[list[np.ndarray], np.ndarray] | None = None,
) -> dict[str, float | None]:
    """Share of backtest days above each upper and below each lower bound, every origin's bands
    calibrated on the other origins only (an honest check of the calibration). ``series`` (each
    origin's and the calendar rows' series indices) gives each series its own upper side, as
    the forecast's bands do."""
    names = [f"{side}_{band}" for band in BANDS for side in ("below", "above")]
    if sum(len(rows) > 0 for rows in by_origin) < 2:
        return dict.fromkeys(names)
    hits = dict.fromkeys(names, 0)
    days = 0
    for k, rows in enumerate(by_origin):
        others = [j for j, r in enumerate(by_origin) if j != k and len(r)]
        if not len(rows) or not others:
            continue
        calibration = ConformalCalibration(
            np.concatenate([by_origin[j] for j in others]),
            calendar,
            tails,
            series=None if series is None else np.concatenate([series[0][j] for j in others]),
            calendar_series=None if series is None else series[1],
        )
        which = np.zeros(len(rows), dtype=np.int64) if series is None else series[0][k]
        for band, (low, high) in BANDS.items():
            lo, hi = (
                calibration.series_step_quantiles(calibration.conformal_probability(p), rows.shape[1], which) for p in (low, high)
            )
            hits[f"below_{band}"] += int(np.sum(rows < lo))
            hits[f"above_{band}"] += int(np.sum(rows > hi))
        days += int(np.isfinite(rows).sum())
    return {name: hits[name] / days if days else None for name in names}


SeriesResult = tuple[np.ndarray, list[dict[str, Any] | None]]


def fit_series_partition(tasks: list[SeriesTask]) -> list[SeriesResult]:
    """One partition's series, fitted and forwarded on a Dask worker (the local pool's work)."""
    return [run_series(task) for task in tasks]


class DaskSeriesTasks:
    """The statistical tasks on a Dask cluster, in partitions of whole series; collected in
    series order, so :meth:`StatisticalModels.finish_fit` cannot tell them from the local pool's."""

    def __init__(self, tasks: list[SeriesTask], config: ForecastConfig) -> None:
        self.partitions = interleaved_partitions(len(tasks), DASK_PARTITION_SERIES, DASK_MIN_PARTITIONS)
        self.pending: PendingPartitions[list[SeriesResult]] = start_partitions(
            fit_series_partition, [[tasks[i] for i in part] for part in self.partitions], config, what="statistical models"
        )

    def cancel(self) -> None:
        self.pending.cancel()

    def results(self, progress: bool) -> list[SeriesResult]:
        results: list[Any] = [None] * sum(map(len, self.partitions))
        for part, partial in zip(self.partitions, self.pending.results(progress)):
            for i, result in zip(part, partial):
                results[i] = result
        return results


def start_statistical(
    statistical: StatisticalModels, panel: Panel, starts: np.ndarray, steps: int, config: ForecastConfig
) -> PendingTasks | DaskSeriesTasks:
    """Start the per-series fits and forwards where ``config.backend`` says: local worker
    processes (``VIEWCAST_JOBS``), or a Dask cluster."""
    if config.backend == "local":
        return statistical.start_fit(panel, starts, steps, jobs=jobs_for(int(panel.lengths.sum())))
    return DaskSeriesTasks(statistical.start_fit(panel, starts, steps, jobs=1).tasks, config)


@dataclass
class MemberForecasts:
    """Every member fitted once, and its forecasts ``(series, origins + 1, steps)`` from every origin
    and (last column) from the last day."""

    statistical: StatisticalModels
    global_members: dict[str, GlobalMember]
    forecasts: np.ndarray  # (members, series, origins + 1, steps)
    benchmark: np.ndarray  # seasonal naive, (series, origins + 1, steps)
    reported: dict[str, np.ndarray]
    study: GlobalMember | None
    notes: list[str]


def plan_run(config: ForecastConfig, panel: Panel) -> tuple[OriginPlan, tuple[str, ...], list[str]]:
    """The backtest origins and the members of this run, with notes on what was left out."""
    check_lstm_history(config, panel)
    origins = config.backtest_windows if len(panel) <= LARGE_PANEL else min(config.backtest_windows, LARGE_PANEL_ORIGINS)
    plan = plan_origins(panel.lengths, config.horizon, int(panel.lags().max()), origins)
    members, notes = choose_members(config, panel, plan)
    if origins < config.backtest_windows:
        notes.append(
            f"{origins} weekly backtest origins (not {config.backtest_windows}) for {len(panel)} series: the bands pool "
            "plenty of errors, and each series' weights still rest on eight windows."
        )
    return plan, members, list(plan.notes) + notes


def fit_members(
    panel: Panel, plan: OriginPlan, starts: np.ndarray, members: tuple[str, ...], config: ForecastConfig, timings: dict
) -> MemberForecasts:
    """Fit every member once and forecast from every origin (``starts``: prefix lengths, 0 = none).

    The statistical fits run in worker processes (local or Dask) while the global members train in
    this one.
    """
    started = time.perf_counter()
    n_cal = len(plan.calendar)
    statistical = StatisticalModels(tuple(m for m in members if m in STATISTICAL and m != NAIVE))
    pending = start_statistical(statistical, panel, starts, plan.steps, config)
    global_members: dict[str, GlobalMember] = {}
    global_forecasts: dict[str, np.ndarray] = {}
    reported: dict[str, np.ndarray] = {}
    study, notes = None, []
    try:
        for name in members:
            if name in GLOBAL:
                global_members[name] = _fit_global(name, panel, plan, config)
                global_forecasts[name] = _global_forecasts(global_members[name], panel, starts, n_cal, plan.steps)
                notes += global_members[name].notes()
        if config.study_lstm and "lstm" not in members:
            if int(panel.lengths.max()) > config.lstm.min_history():
                study = _fit_global("lstm", panel, plan, config)
                reported["lstm"] = _global_forecasts(study, panel, starts, n_cal, plan.steps)[:, :-1, : plan.window]
            else:
                notes.append(
                    f"The study's LSTM was not trained: no series has the {config.lstm.min_history() + 1} days it needs."
                )
    except BaseException:
        pending.cancel()
        raise
    timings["global"] = time.perf_counter() - started
    stat = statistical.finish_fit(pending, progress=config.progress)
    timings["statistical"] = time.perf_counter() - started
    for name, count in statistical.failed().items():
        notes.append(
            f"{name} could not be fitted to {count} series (shorter than {MIN_FIT_DAYS} days or failed); seasonal naive stands in."
        )
    forecasts = np.stack(
        [global_forecasts[m] if m in GLOBAL else stat[0 if m == NAIVE else 1 + statistical.names.index(m)] for m in members]
    )
    return MemberForecasts(statistical, global_members, forecasts, stat[0], reported, study, notes)


def _direct_combination(direct: DirectTotal, panel: Panel, calibration: ConformalCalibration, country: str | None) -> Combination:
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
    scored = fitted.forecasts[:, :, :-1, :w]
    mae = backtest_mae(actual[:, :n_bt], scored[:, :, :n_bt])
    weights = inverse_error_weights(mae) if len(members) > 1 else np.ones((len(panel), 1))
    country = config.holiday_country if config.model == "auto" else None
    holidays = panel_holidays(country, panel, plan.steps)
    ordinary = combine(weights, scored, TRIM)
    factors = window_factors(panel.values, panel.starts, lengths, w, holidays)
    combined = ordinary * factors
    errors = np.where(factors != 1.0, np.nan, _scaled_errors(actual, combined, panel, lengths))
    series_of = [np.flatnonzero(lengths[:, k] > 0) for k in range(n_bt + n_cal)]  # the series each origin has
    by_origin = [errors[series_of[k], k] for k in range(n_bt)]
    calendar = np.concatenate([errors[series_of[k], k] for k in range(n_bt, n_bt + n_cal)] or [np.empty((0, w))])
    calendar_series = np.concatenate(series_of[n_bt:] or [np.empty(0, dtype=np.int64)])
    direct = fit_direct_total(panel, plan, members) if len(members) > 1 else None
    moved_direct = direct
    if direct is not None:
        total = total_panel(panel)
        factors_total = window_factors(total.values, total.starts, plan.prefix_lengths(total.lengths), w, holidays)
        moved_direct = replace(direct, combined=direct.combined * factors_total)
    source, choice = choose_total(moved_direct, actual, scored, n_bt)
    serving, plain = (moved_direct, direct) if source == DIRECT else (None, None)
    total_windows = _total_windows(actual, combined, serving)
    total_ordinary = _total_windows(actual, ordinary, plain)[1]
    total_by_origin, total_calendar = _total_errors(panel, plan, total_windows, total_ordinary)
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
        progress=config.progress,
        direct_total=None if serving is None else _direct_combination(serving, panel, total_calibration, country),
    )
    backtest = Backtest(
        plan=plan,
        members=members,
        ids=list(panel.ids),
        actual=actual,
        forecasts=scored,
        benchmark=fitted.benchmark[:, :-1, :w],
        combined=combined,
        mae=mae,
        benchmark_mae=backtest_mae(actual[:, :n_bt], fitted.benchmark[None, :, :n_bt, :w])[:, 0],
        weights=weights,
        scale=np.array([seasonal_scale(v) for v in panel.values]),
        volume=np.array([float(np.mean(v[-28:])) for v in panel.values]),
        coverage={
            "series": _held_out_coverage(by_origin, calendar, SERIES_TAILS, (series_of[:n_bt], calendar_series)),
            "total": _held_out_coverage(total_by_origin, total_calendar, TOTAL_TAILS),
        },
        total_forecast={"forecast": source, **choice},
        total_windows=total_windows,
        total_ordinary=total_ordinary,
        own_upper_series=int(combination.calibration.own_series().sum()),
        reported=fitted.reported,
    )
    timings["calibration"] = time.perf_counter() - started
    return Fit(combination, backtest, fitted.forecasts[:, :, -1], notes + fitted.notes, timings, fitted.study)
