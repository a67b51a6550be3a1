"""The members of a run: which ones, and each fitted once and forecast from every origin.

:func:`plan_run` sets the backtest origins and ``auto``'s pool for this panel (AutoETS left out
above 200 series, the yearly MSTL without a year before the earliest origin, LightGBM for a
single series), or refuses the one model asked for if the history is too short for it.
:func:`fit_members` fits each statistical member once per series on the cleaned history in
worker processes (local ones, or a Dask cluster's with ``backend="dask"``: partitions of whole
series) and forwards it from every origin's cleaned prefix and from the last day, while the
global members train in this process (LightGBM at the earliest backtest origin, the LSTM by
the study's recipe) and run from every origin and from the last day.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from viewcast.compute import PendingPartitions, interleaved_partitions, start_partitions
from viewcast.errors import DataValidationError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.evaluation.origins import OriginPlan, plan_origins
from viewcast.forecasting.models import AUTO_MEMBERS, GLOBAL, LARGE_PANEL, LARGE_PANEL_SKIPS, NAIVE, STATISTICAL, global_class
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

#: Backtest origins at most on panels above ``LARGE_PANEL`` series (forwards are most of their cost).
LARGE_PANEL_ORIGINS = 8
#: Series per Dask partition: ~10-60 s of statistical fits each, few enough tasks for the scheduler
#: at a million series (10,000), at least ``DASK_MIN_PARTITIONS`` so that every worker has work.
DASK_PARTITION_SERIES = 100
DASK_MIN_PARTITIONS = 16


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
