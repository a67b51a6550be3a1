"""One rolling-origin backtest routine for every model (statistical, neural and combinations).

Origins step back from the end of the history in non-overlapping windows. Each window is as long
as the requested horizon when the history allows several of them; with short histories (the
study's 50 days) there are fewer, shorter windows, and :class:`BacktestPlan.notes` says so. The
same windows feed model selection (by MASE), the reported metrics and the conformal intervals.
A combination (the ensemble) is scored from its members' backtest forecasts, at no extra cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from viewcast.errors import DataValidationError
from viewcast.forecasting.evaluation.intervals import coverage
from viewcast.forecasting.evaluation.metrics import score, seasonal_scale
from viewcast.forecasting.models.base import Forecaster
from viewcast.forecasting.panel import Panel
from viewcast.progress import progress_bar


@dataclass
class BacktestPlan:
    horizon: int  # length of each window
    windows: int
    requested_horizon: int
    min_train: int
    series_used: int
    series_total: int
    notes: list[str] = field(default_factory=list)

    def cuts(self) -> list[int]:
        """How many trailing days each window's training history leaves out, oldest first."""
        return [(self.windows - w) * self.horizon for w in range(self.windows)]


def plan_backtest(shortest: int, horizon: int, min_train: int, max_windows: int) -> BacktestPlan:
    """Choose window count and length for the shortest series; explain any shortening."""
    available = shortest - min_train
    notes: list[str] = []
    if available >= 2 * horizon:
        windows, length = min(max_windows, available // horizon), horizon
    else:
        windows = max(1, min(3, max_windows, available // 7))
        length = min(horizon, available // windows) if available > 0 else 0
        if length >= 1:
            notes.append(
                f"History too short for {horizon}-day backtest windows: used {windows} origin(s) of {length} days "
                f"(shortest series {shortest} days, models need {min_train} to fit); intervals beyond day {length} "
                "extend the fitted error growth."
            )
    if length < 1:
        raise DataValidationError(
            f"history too short: the shortest series has {shortest} days but fitting needs {min_train} days plus at "
            "least one day to backtest; give more history or a simpler model",
            param="data",
        )
    return BacktestPlan(length, windows, horizon, min_train, 0, 0, notes)


@dataclass
class ModelBacktest:
    forecast: np.ndarray  # (series, windows, steps)
    metrics: dict[str, float]
    seconds: float


@dataclass
class BacktestResult:
    plan: BacktestPlan
    actual: np.ndarray  # (series, windows, steps)
    scale: np.ndarray  # (series, windows)
    series_index: np.ndarray  # which panel series were backtested
    models: dict[str, ModelBacktest]
    total_scale: np.ndarray  # (1, windows): MASE scale of the backtested series' sum
    series_ids: list[str] = field(default_factory=list)  # ids of the backtested series

    def total_errors(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Actual and forecast of the series' sum per window, and its scale: what capacity is bought on."""
        return self.actual.sum(axis=0, keepdims=True), self.models[name].forecast.sum(axis=0, keepdims=True), self.total_scale

    def ranking(self) -> list[str]:
        return sorted(self.models, key=lambda m: self.models[m].metrics["mase"])

    def window_mase(self, name: str) -> np.ndarray:
        """MASE of every (series, window) pair: the sample behind a model's mean MASE."""
        return (np.abs(self.actual - self.models[name].forecast).mean(axis=-1) / self.scale).ravel()


def run_backtest(
    panel: Panel,
    forecasters: list[Forecaster],
    horizon: int,
    max_windows: int = 5,
    max_series: int = 100,
    seed: int = 0,
    progress: bool = True,
) -> BacktestResult:
    """Backtest each forecaster on the same origins; large panels use a seeded sample of series.

    Combinations whose members are all in ``forecasters`` are scored from the members' forecasts.
    """
    min_train = max(f.min_history() for f in forecasters)
    if len(panel) > max_series:
        index = np.sort(np.random.default_rng(seed).choice(len(panel), size=max_series, replace=False))
    else:
        index = np.arange(len(panel))
    sample = panel.subset(index)
    # Many series give many errors per window: two origins then calibrate and rank as well as five.
    windows = max_windows if len(sample) <= 2 else min(max_windows, max(2, -(-10 // len(sample))))
    plan = plan_backtest(int(sample.lengths.min()), horizon, min_train, windows)
    plan.series_used, plan.series_total = len(sample), len(panel)
    if len(sample) < len(panel):
        plan.notes.append(
            f"Backtest on a random sample of {len(sample)} of {len(panel)} series (seed {seed}); the chosen model is then fitted to all."
        )
    actual = np.empty((len(sample), plan.windows, plan.horizon))
    scale = np.empty((len(sample), plan.windows))
    total_scale = np.empty((1, plan.windows))
    summed = sample.total()
    for w, cut in enumerate(plan.cuts()):
        for s, values in enumerate(sample.values):
            end = len(values) - cut
            actual[s, w] = values[end : end + plan.horizon]
            scale[s, w] = seasonal_scale(values[:end])
        total_scale[0, w] = seasonal_scale(summed[: len(summed) - cut])
    names = {f.name for f in forecasters}
    combinations = [f for f in forecasters if f.members and set(f.members) <= names]
    fitted = [f for f in forecasters if f not in combinations]
    results: dict[str, ModelBacktest] = {}
    with progress_bar("backtest", total=len(fitted) * plan.windows, enabled=progress) as advance:
        for forecaster in fitted:
            started = time.perf_counter()
            predicted = np.empty_like(actual)
            for w, cut in enumerate(plan.cuts()):
                history = sample.truncate(cut)
                predicted[:, w] = forecaster.fit_predict(history, plan.horizon)
                advance()
            predicted = np.maximum(predicted, 0.0)  # counts are never negative
            results[forecaster.name] = _scored(actual, predicted, scale, time.perf_counter() - started)
    for combination in combinations:
        members = [results[m] for m in combination.members]
        predicted = combination.combine([m.forecast for m in members])
        results[combination.name] = _scored(actual, predicted, scale, sum(m.seconds for m in members))
    return BacktestResult(plan, actual, scale, index, results, total_scale, list(sample.ids))


def _scored(actual: np.ndarray, predicted: np.ndarray, scale: np.ndarray, seconds: float) -> ModelBacktest:
    """A model's backtest forecasts with their accuracy and honest interval coverage."""
    metrics = score(actual, predicted, scale)
    metrics.update({f"coverage{k}": v for k, v in coverage(actual, predicted, scale).items()})
    return ModelBacktest(predicted, metrics, seconds)
