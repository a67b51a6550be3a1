"""Which models compete, and which one of them forecasts.

:func:`candidates` turns the configuration and the data into the models to backtest: every
model of the pool that the history is long enough for (``auto``), or the requested model with
seasonal naive beside it as the benchmark. :func:`one_standard_error` is the selection rule; it
takes only a :class:`~viewcast.forecasting.evaluation.backtest.BacktestResult`, so another rule
is another function of the same shape.
"""

from __future__ import annotations

import numpy as np

from viewcast.errors import DataValidationError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.evaluation.backtest import BacktestResult
from viewcast.forecasting.models import MODEL_NAMES, model_class
from viewcast.forecasting.models.base import Forecaster

#: Beyond this many series ``auto`` leaves out AutoARIMA, whose order search dominates run time.
LARGE_PANEL = 200
#: Extra days beyond a model's minimum that ``auto`` asks for, so its backtest has windows to score.
AUTO_MARGIN = 7
#: Most stable first: the combination (averaging cancels its members' errors), single statistical
#: models next, the LSTM last (a refit with another seed gives another forecast).
STABILITY_ORDER = ("ensemble", "theta", "ets", "arima", "seasonal_naive", "lstm")
BENCHMARK = "seasonal_naive"


def skipped_for_cost(config: ForecastConfig, n_series: int) -> frozenset[str]:
    """Pool models ``auto`` leaves out on this panel because they would cost too much."""
    return frozenset({"arima"}) if config.model == "auto" and n_series > LARGE_PANEL else frozenset()


def build(name: str, config: ForecastConfig, n_series: int) -> Forecaster:
    """A fresh, unfitted pool model for this run."""
    return model_class(name).from_config(config, skipped_for_cost(config, n_series))


def candidates(config: ForecastConfig, shortest: int, n_series: int) -> tuple[list[Forecaster], list[str]]:
    """Models to backtest and notes on those left out; refuse histories too short for any."""
    skip = skipped_for_cost(config, n_series)
    if config.model != "auto":
        chosen = build(config.model, config, n_series)
        if shortest < chosen.min_history() + 1:
            raise DataValidationError(
                f"history too short for model {config.model}: it needs at least {chosen.min_history() + 1} days per "
                f"series, the shortest series has {shortest}",
                param="model",
            )
        names = [*chosen.members, *([config.model] if not chosen.members else [])]
        names += [BENCHMARK] if config.model != BENCHMARK else []
        return [build(n, config, n_series) for n in names] + ([chosen] if chosen.members else []), []
    notes: list[str] = []
    if skip:
        notes.append(
            f"AutoARIMA left out of auto for {n_series} series (more than {LARGE_PANEL}): its order search costs 1-3 s "
            "per long series; the ensemble averages ETS and Theta. Ask for model arima to run it anyway."
        )
    models: list[Forecaster] = []
    needed = []
    for name in MODEL_NAMES:
        if name in skip:
            continue
        model = build(name, config, n_series)
        needed.append(model.min_history() + AUTO_MARGIN)
        if model.members:
            if set(model.members) <= {m.name for m in models}:
                models.append(model)
        elif shortest >= model.min_history() + AUTO_MARGIN:
            models.append(model)
        else:
            notes.append(
                f"{name} left out: needs {model.min_history() + AUTO_MARGIN} days of history, shortest series has {shortest}."
            )
    if not models:
        raise DataValidationError(
            f"history too short: the shortest series has {shortest} days; at least {min(needed)} are needed",
            param="data",
        )
    return models, notes


def one_standard_error(backtest: BacktestResult, preference: tuple[str, ...] = STABILITY_ORDER) -> tuple[str, str]:
    """The one-standard-error rule: of the models whose MASE exceeds the best's by at most one
    standard error of their paired per-window differences, take the most stable one.

    A backtest of a few windows cannot tell apart models a few percent apart, and picking the
    noisy winner costs accuracy on the next window (measured on held-out long series: the plain
    minimum lost to this rule).
    """
    best = backtest.ranking()[0]
    reference = backtest.window_mase(best)
    # Paired differences on the same (series, window) pairs: series that are hard for every
    # model do not inflate the standard error, so large panels separate models they can.
    eligible = []
    for name in backtest.models:
        diff = backtest.window_mase(name) - reference
        spread = float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else 0.0
        if diff.mean() <= spread:
            eligible.append(name)
    limit = backtest.models[best].metrics["mase"]
    chosen = min(eligible, key=lambda m: preference.index(m) if m in preference else len(preference))
    if chosen == best:
        return chosen, f"lowest backtest MASE ({limit:.3f})"
    gap = backtest.models[chosen].metrics["mase"] - limit
    return chosen, (
        f"within one standard error of the lowest backtest MASE ({best}: {limit:.3f}; {chosen} {gap:+.3f}, "
        f"paired over {reference.size} series-windows) and more stable than {best}"
    )
