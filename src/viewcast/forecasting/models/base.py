"""What a global member of the pool is: one model learned from every series of the panel.

Statistical members are fitted per series (:mod:`~viewcast.forecasting.models.statistical`);
global members (LightGBM on lags, the study's LSTM) learn one model from all series' histories
and then forecast any history of those series: the backtest asks them for forecasts from the
prefixes of every backtest origin at once (one history per series and origin), a saved model
asks them for forecasts from new history. Intervals are not theirs to make: every forecast gets
its bands from backtest errors, the same way (:mod:`viewcast.forecasting.evaluation.intervals`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from viewcast.forecasting.panel import Panel

State = tuple[dict[str, Any], dict[str, np.ndarray]]


class GlobalMember(ABC):
    """A model of the pool fitted once on every series of a panel."""

    #: The pool name (``"lgbm"``); saved models record it.
    name: ClassVar[str]

    @abstractmethod
    def min_history(self) -> int:
        """Fewest days a history needs to be forecast from (shorter ones get NaN)."""

    @abstractmethod
    def fit(self, panel: Panel) -> GlobalMember:
        """Learn from every series of ``panel``; return ``self``."""

    @abstractmethod
    def predict(self, panel: Panel, steps: int, rows: np.ndarray | None = None) -> np.ndarray:
        """``(histories, steps)`` views after each history's last day.

        ``rows[k]`` is the fitted series that history ``k`` belongs to (default: history ``k`` is
        series ``k``); a history shorter than :meth:`min_history` gets NaN.
        """

    def notes(self) -> list[str]:
        """What a report should say about this fit (sizes, budgets)."""
        return []

    @abstractmethod
    def state(self) -> State:
        """JSON-able settings and named arrays of the fitted model (no pickle)."""

    @classmethod
    @abstractmethod
    def from_state(cls, state: Mapping[str, Any], tensors: Mapping[str, np.ndarray], series: int) -> GlobalMember:
        """Rebuild a fitted model of ``series`` series; raise ``ModelLoadError`` if the state does not fit."""
