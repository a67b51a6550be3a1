"""What every forecaster of the pool is: fit a panel, forecast it, save and restore its state.

Forecasters see only a :class:`~viewcast.forecasting.panel.Panel` (one contiguous daily series
per total, category or creator) and answer ``(series, horizon)`` arrays of views. Intervals are
not theirs to make: they come from each model's own backtest errors, the same way for every
model (:mod:`viewcast.forecasting.evaluation.intervals`), so a model needs no error model to join.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from viewcast.forecasting.config import ForecastConfig
    from viewcast.forecasting.panel import Panel

State = tuple[dict[str, Any], dict[str, np.ndarray]]


class Forecaster(ABC):
    """One model kind of the pool (see :data:`viewcast.forecasting.models.POOL`)."""

    #: The pool name (``"ets"``); saved models record it.
    name: ClassVar[str]
    #: Pool models this one combines; a combination is backtested from its members' forecasts.
    members: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: ForecastConfig, skip: frozenset[str] = frozenset()) -> Forecaster:
        """An unfitted forecaster for a run; ``skip`` names pool models left out of it for cost."""
        return cls()

    @abstractmethod
    def min_history(self) -> int:
        """Fewest days a series needs for this model to fit."""

    def min_forecast_history(self) -> int:
        """Fewest days of new history a fitted model needs to forecast from (``min_history`` unless less will do)."""
        return self.min_history()

    @abstractmethod
    def fit(self, panel: Panel) -> Forecaster:
        """Fit every series of ``panel``; return ``self``."""

    @abstractmethod
    def predict(self, panel: Panel, horizon: int) -> np.ndarray:
        """``(series, horizon)`` views after each series' last day.

        ``panel`` has the fitted series in the fitted order; its history may be newer than the
        fitted one (a saved model forecasting fresh data applies its fitted parameters).
        """

    def fit_predict(self, panel: Panel, horizon: int) -> np.ndarray:
        """Fit and forecast in one pass (backtests); models may do it without keeping state."""
        return self.fit(panel).predict(panel, horizon)

    def combine(self, forecasts: Sequence[np.ndarray]) -> np.ndarray:
        """A combination's forecast from its members' (in :attr:`members` order)."""
        raise NotImplementedError(f"{self.name} is not a combination")

    @abstractmethod
    def state(self) -> State:
        """JSON-able settings and named arrays of the fitted model (no pickle)."""

    @classmethod
    @abstractmethod
    def from_state(cls, state: Mapping[str, Any], tensors: Mapping[str, np.ndarray], series: int) -> Forecaster:
        """Rebuild a fitted model of ``series`` series; raise ``ModelLoadError`` if the state does not fit."""


def prefixed(tensors: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays stored under ``prefix`` (a combination's member), with the prefix removed."""
    return {key[len(prefix) :]: value for key, value in tensors.items() if key.startswith(prefix)}
