"""Equal-weight combination of ETS, ARIMA and Theta (ETS and Theta on very large panels).

Averaging a few decent statistical models is one of the most reliable ways to beat each of them
(the M3/M4 competitions' "Comb" benchmark). It needs no backtest of its own: its backtest
forecasts are the mean of its members', so it competes in ``--model auto`` for free and is only
fitted when chosen.
"""

from __future__ import annotations

import numpy as np

from viewcast.errors import ModelLoadError
from viewcast.forecasting.backtest import BacktestResult, ModelBacktest
from viewcast.forecasting.intervals import coverage
from viewcast.forecasting.metrics import score
from viewcast.forecasting.panel import Panel
from viewcast.forecasting.statistical import StatsForecaster

MEMBERS = ("ets", "arima", "theta")


class EnsembleForecaster:
    name = "ensemble"

    def __init__(self, members: tuple[str, ...] = MEMBERS) -> None:
        self.members = members
        self.forecasters_ = [StatsForecaster(m) for m in members]

    def min_history(self) -> int:
        return max(f.min_history() for f in self.forecasters_)

    def fit(self, panel: Panel) -> EnsembleForecaster:
        for forecaster in self.forecasters_:
            forecaster.fit(panel)
        return self

    def predict(self, panel: Panel, horizon: int) -> np.ndarray:
        return np.mean([f.predict(panel, horizon) for f in self.forecasters_], axis=0)

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        configs, tensors = [], {}
        for i, forecaster in enumerate(self.forecasters_):
            config, arrays = forecaster.state()
            configs.append(config)
            tensors.update({f"m{i}.{k}": v for k, v in arrays.items()})
        return {"members": list(self.members), "states": configs}, tensors

    @classmethod
    def from_state(cls, config: dict, tensors: dict[str, np.ndarray]) -> EnsembleForecaster:
        members = tuple(config["members"])
        if not set(members) <= set(MEMBERS):
            raise ModelLoadError(f"saved ensemble has unexpected members {members}")
        self = cls(members)
        self.forecasters_ = [
            StatsForecaster.from_state(cfg, {k[len(f"m{i}.") :]: v for k, v in tensors.items() if k.startswith(f"m{i}.")})
            for i, cfg in enumerate(config["states"])
        ]
        return self


def add_to_backtest(backtest: BacktestResult, members: tuple[str, ...] = MEMBERS) -> bool:
    """Score the combination from its members' backtest forecasts; False if a member is missing."""
    if not all(m in backtest.models for m in members):
        return False
    forecast = np.mean([backtest.models[m].forecast for m in members], axis=0)
    metrics = score(backtest.actual, forecast, backtest.scale)
    metrics.update({f"coverage{k}": v for k, v in coverage(backtest.actual, forecast, backtest.scale).items()})
    seconds = sum(backtest.models[m].seconds for m in members)
    backtest.models["ensemble"] = ModelBacktest(forecast, metrics, seconds)
    return True
