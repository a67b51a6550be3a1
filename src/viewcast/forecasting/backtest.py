"""One rolling-origin backtest routine for every model (statistical and neural alike).

Origins step back from the end of the history in non-overlapping windows. Each window is as long
as the requested horizon when the history allows several of them; with short histories (the
study's 50 days) there are fewer, shorter windows, and :class:`BacktestPlan.notes` says so. The
same windows feed model selection (by MASE), the reported metrics and the conformal intervals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from viewcast.errors import DataValidationError
from viewcast.forecasting.intervals import coverage
from viewcast.forecasting.metrics import score, seasonal_scale
from viewcast.forecasting.panel import Panel
from viewcast.progress import progress_bar

STABILITY_ORDER = ("ensemble", "theta", "ets", "arima", "seasonal_naive", "lstm")


class Forecaster(Protocol):
    name: str

    def min_history(self) -> int: ...

    def fit(self, panel: Panel) -> Forecaster: ...

    def predict(self, panel: Panel, horizon: int) -> np.ndarray: ...


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
            "least one day to backtest; give more history or a simpler --model"
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

    def total_errors(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Actual and forecast of the series' sum per window, and its scale: what capacity is bought on."""
        return self.actual.sum(axis=0, keepdims=True), self.models[name].forecast.sum(axis=0, keepdims=True), self.total_scale

    def ranking(self) -> list[str]:
        return sorted(self.models, key=lambda m: self.models[m].metrics["mase"])

    def window_mase(self, name: str) -> np.ndarray:
        """MASE of every (series, window) pair: the sample behind a model's mean MASE."""
        return (np.abs(self.actual - self.models[name].forecast).mean(axis=-1) / self.scale).ravel()

    def select(self, preference: tuple[str, ...] = STABILITY_ORDER) -> tuple[str, str]:
        """The one-standard-error rule: of the models whose MASE exceeds the best's by at most one
        standard error of their paired per-window differences, take the most stable one.

        A backtest of a few windows cannot tell apart models a few percent apart, and picking the
        noisy winner costs accuracy on the next window (measured on held-out long series: the
        plain minimum lost to this rule). Stability order: the combination first (averaging
        cancels its members' errors), single statistical models next, the LSTM last (a refit with
        another seed gives another forecast).
        """
        best = self.ranking()[0]
        reference = self.window_mase(best)
        # Paired differences on the same (series, window) pairs: series that are hard for every
        # model do not inflate the standard error, so large panels separate models they can.
        eligible = []
        for name in self.models:
            diff = self.window_mase(name) - reference
            spread = float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0
            if diff.mean() <= spread:
                eligible.append(name)
        limit = self.models[best].metrics["mase"]
        chosen = min(eligible, key=lambda m: preference.index(m) if m in preference else len(preference))
        if chosen == best:
            return chosen, f"lowest backtest MASE ({limit:.3f})"
        gap = self.models[chosen].metrics["mase"] - limit
        return chosen, (
            f"within one standard error of the lowest backtest MASE ({best}: {limit:.3f}; {chosen} {gap:+.3f}, "
            f"paired over {reference.size} series-windows) and more stable than {best}"
        )


def run_backtest(
    panel: Panel,
    forecasters: list[Forecaster],
    horizon: int,
    max_windows: int = 5,
    max_series: int = 100,
    seed: int = 0,
    progress: bool = True,
) -> BacktestResult:
    """Backtest each forecaster on the same origins; large panels use a seeded sample of series."""
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
    results: dict[str, ModelBacktest] = {}
    with progress_bar("backtest", total=len(forecasters) * plan.windows, enabled=progress) as advance:
        for forecaster in forecasters:
            started = time.perf_counter()
            predicted = np.empty_like(actual)
            for w, cut in enumerate(plan.cuts()):
                history = sample.truncate(cut)
                if hasattr(forecaster, "fit_predict"):
                    predicted[:, w] = forecaster.fit_predict(history, plan.horizon)
                else:
                    predicted[:, w] = forecaster.fit(history).predict(history, plan.horizon)
                advance()
            predicted = np.maximum(predicted, 0.0)  # counts are never negative
            metrics = score(actual, predicted, scale)
            metrics.update({f"coverage{k}": v for k, v in coverage(actual, predicted, scale).items()})
            results[forecaster.name] = ModelBacktest(predicted, metrics, time.perf_counter() - started)
    return BacktestResult(plan, actual, scale, index, results, total_scale)
