"""The model pool: every model a forecast can backtest, choose, fit, save and load, by name.

A new model kind is one small class (a :class:`~viewcast.forecasting.models.base.Forecaster`
subclass) and one line in :data:`POOL`; the backtest, selection, intervals, capacity plan and
saved models then handle it like every other. Classes are imported on first use, so that loading
a statistical model never imports torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from viewcast.forecasting.models.base import Forecaster

#: name -> "module:class" under this package, in the order models are backtested and reported.
POOL: dict[str, str] = {
    "lstm": "lstm:LSTMForecaster",
    "seasonal_naive": "statistical:SeasonalNaive",
    "ets": "statistical:ETS",
    "arima": "statistical:ARIMA",
    "theta": "statistical:Theta",
    "ensemble": "ensemble:Ensemble",
}
MODEL_NAMES: tuple[str, ...] = tuple(POOL)


def model_class(name: str) -> type[Forecaster]:
    """The class of a pool model; ``ValueError`` for a name that is not in the pool."""
    if name not in POOL:
        raise ValueError(f"unknown model {name!r}; the pool holds {', '.join(MODEL_NAMES)}")
    module, _, cls = POOL[name].partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)
