"""The model pool: every model a forecast can combine, run alone, save and load, by name.

Two kinds of member (docs/forecast.md explains the choice of each):

* statistical, fitted per series on the cleaned history and forwarded from any other history
  (:mod:`~viewcast.forecasting.models.statistical`): seasonal naive, AutoETS, Dynamic Optimized
  Theta, a weekly MSTL with an ETS trend, the same after a yearly cycle is taken out (on long
  histories), and, on request only, AutoTheta and AutoARIMA;
* global, one model learned from every series (:class:`~viewcast.forecasting.models.base.GlobalMember`):
  LightGBM on lags, and the study's LSTM.

``auto`` combines :data:`AUTO_MEMBERS` per series; any single name forecasts alone. Classes are
imported on first use, so that a statistical forecast never imports torch or LightGBM.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from viewcast.forecasting.models.base import GlobalMember

#: Statistical members (per series); seasonal naive needs no fit.
#: The benchmark every backtest reports and the fallback of every statistical fit.
NAIVE = "seasonal_naive"
STATISTICAL: tuple[str, ...] = ("seasonal_naive", "ets", "dot", "mstl", "mstl_yearly", "theta", "arima")
#: Global members: name -> "module:class" under this package.
GLOBAL: dict[str, str] = {"lgbm": "boosting:LightGBMForecaster", "lstm": "lstm:LSTMForecaster"}
MODEL_NAMES: tuple[str, ...] = (*STATISTICAL, *GLOBAL)
#: What ``auto`` combines (the yearly MSTL only on long histories). AutoARIMA and AutoTheta did not improve the combination on the research
#: panels and tripled its cost; the LSTM was never the best model and took most of the run time.
AUTO_MEMBERS: tuple[str, ...] = ("seasonal_naive", "ets", "dot", "mstl", "mstl_yearly", "lgbm")
#: Above this many series ``auto`` leaves out the members in :data:`LARGE_PANEL_SKIPS`.
LARGE_PANEL = 200
#: AutoETS is about 70% of the statistical CPU time; dropping it cost 0.4% accuracy on the research panels.
LARGE_PANEL_SKIPS: tuple[str, ...] = ("ets",)
DESCRIPTIONS: dict[str, str] = {
    "seasonal_naive": "the last (cleaned) week repeated",
    "ets": "AutoETS: level, trend and weekly season chosen by AICc",
    "dot": "Dynamic Optimized Theta: drifted level, weekly season",
    "mstl": "weekly STL season plus an ETS trend",
    "mstl_yearly": "the weekly MSTL after a yearly cycle (3 harmonics) is taken out, the cycle added back",
    "theta": "AutoTheta",
    "arima": "AutoARIMA (approximate search)",
    "lgbm": "one LightGBM on lags of every series",
    "lstm": "the study's LSTM (one network for every series)",
}


def global_class(name: str) -> type[GlobalMember]:
    """The class of a global member; ``ValueError`` for any other name."""
    if name not in GLOBAL:
        raise ValueError(f"{name!r} is not a global model; those are {', '.join(GLOBAL)}")
    module, _, cls = GLOBAL[name].partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)
