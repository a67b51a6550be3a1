"""Equal-weight combination of ETS, ARIMA and Theta (ETS and Theta where ARIMA is left out).

Averaging a few decent statistical models is one of the most reliable ways to beat each of them
(the M3/M4 competitions' "Comb" benchmark). It needs no backtest of its own: its backtest
forecasts are the mean of its members', so it competes in ``auto`` for free and is only fitted
when chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from viewcast.forecasting.models import model_class
from viewcast.forecasting.models.base import Forecaster, State, prefixed
from viewcast.forecasting.panel import Panel
from viewcast.io.persist import require

if TYPE_CHECKING:
    from viewcast.forecasting.config import ForecastConfig

MEMBERS = ("ets", "arima", "theta")


class Ensemble(Forecaster):
    """The mean of its members' forecasts."""

    name = "ensemble"

    def __init__(self, members: tuple[str, ...] = MEMBERS) -> None:
        self.members = members
        self.forecasters_ = [model_class(m)() for m in members]

    @classmethod
    def from_config(cls, config: ForecastConfig, skip: frozenset[str] = frozenset()) -> Ensemble:
        return cls(tuple(m for m in MEMBERS if m not in skip))

    def min_history(self) -> int:
        return max(f.min_history() for f in self.forecasters_)

    def fit(self, panel: Panel) -> Ensemble:
        for forecaster in self.forecasters_:
            forecaster.fit(panel)
        return self

    def predict(self, panel: Panel, horizon: int) -> np.ndarray:
        return self.combine([f.predict(panel, horizon) for f in self.forecasters_])

    def combine(self, forecasts: Sequence[np.ndarray]) -> np.ndarray:
        return np.mean(forecasts, axis=0)

    def state(self) -> State:
        configs, tensors = [], {}
        for i, forecaster in enumerate(self.forecasters_):
            config, arrays = forecaster.state()
            configs.append(config)
            tensors.update({f"m{i}.{k}": v for k, v in arrays.items()})
        return {"members": list(self.members), "states": configs}, tensors

    @classmethod
    def from_state(cls, state: Mapping[str, Any], tensors: Mapping[str, np.ndarray], series: int) -> Ensemble:
        members, states = state.get("members"), state.get("states")
        require(isinstance(members, list) and len(members) >= 1, "an ensemble without members")
        require(set(members) <= set(MEMBERS), f"unexpected ensemble members {members}; expected some of {list(MEMBERS)}")
        require(isinstance(states, list) and len(states) == len(members), "ensemble members and their states differ in number")
        self = cls(tuple(members))
        self.forecasters_ = [
            model_class(name).from_state(member, prefixed(tensors, f"m{i}."), series)
            for i, (name, member) in enumerate(zip(members, states))
        ]
        return self
