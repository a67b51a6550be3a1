"""statsforecast's models with a weekly season: seasonal naive, AutoETS, AutoARIMA and AutoTheta.

Each is one small class that says which statsforecast model it builds; fitting, forecasting,
backtesting and safe persistence are shared in :class:`StatsForecaster`. Every series gets its
own fitted model, with seasonal naive as statsforecast's fallback where a fit fails.
"""

from __future__ import annotations

import os
import warnings
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np

from viewcast.errors import ConfigError
from viewcast.forecasting.config import SEASON
from viewcast.forecasting.models.base import Forecaster, State
from viewcast.forecasting.models.codec import decode, encode
from viewcast.forecasting.panel import Panel
from viewcast.io.persist import require

PARALLEL_SERIES = 64  # below this, process start-up costs more than a second core saves
JOBS_VARIABLE = "VIEWCAST_JOBS"


def _n_jobs(n_series: int) -> int:
    """Processes for statsforecast: ``VIEWCAST_JOBS``, else two cores on large panels only."""
    configured = os.environ.get(JOBS_VARIABLE, "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ConfigError(f"{JOBS_VARIABLE}={configured!r}: expected a whole number of processes, at least 1")
        return int(configured)
    return min(2, os.cpu_count() or 1) if n_series >= PARALLEL_SERIES else 1


class StatsForecaster(Forecaster):
    """One statsforecast model per series. Fitted state: ``models_`` and ``fingerprint_``."""

    def __init__(self, season: int = SEASON) -> None:
        self.season = season

    @abstractmethod
    def build(self) -> Any:
        """A fresh, unfitted statsforecast model."""

    def fallback(self) -> Any:
        from statsforecast.models import SeasonalNaive as Naive

        return Naive(season_length=self.season)

    def min_history(self) -> int:
        return 2 * self.season + 2

    def _statsforecast(self, n_series: int) -> Any:
        from statsforecast import StatsForecast

        return StatsForecast(models=[self.build()], freq=1, n_jobs=_n_jobs(n_series), fallback_model=self.fallback())

    def fit(self, panel: Panel) -> StatsForecaster:
        sf = self._statsforecast(len(panel))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sf.fit(df=panel.to_long())
        order = {uid: i for i, uid in enumerate(sf.uids)} if hasattr(sf, "uids") else None
        fitted = sf.fitted_[:, 0]
        self.models_ = [fitted[order[uid]] for uid in panel.ids] if order is not None else list(fitted)
        self.fingerprint_ = panel.fingerprint()
        return self

    def predict(self, panel: Panel, horizon: int) -> np.ndarray:
        """Forecast from the fitted state; on new data, apply the fitted parameters (no re-fit)."""
        same_history = panel.fingerprint() == self.fingerprint_
        out = np.empty((len(panel), horizon))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i, (model, values) in enumerate(zip(self.models_, panel.values)):
                if same_history:
                    out[i] = model.predict(h=horizon)["mean"]
                else:
                    out[i] = model.forward(y=np.asarray(values, float), h=horizon)["mean"]
        return out

    def fit_predict(self, panel: Panel, horizon: int) -> np.ndarray:
        """Fit and forecast in one pass without keeping fitted objects (backtests)."""
        sf = self._statsforecast(len(panel))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = sf.forecast(df=panel.to_long(), h=horizon)
        frame = frame.reset_index() if "unique_id" not in frame.columns else frame
        column = [c for c in frame.columns if c not in ("unique_id", "ds")][0]
        by_id = {uid: g[column].to_numpy() for uid, g in frame.groupby("unique_id", sort=False)}
        return np.stack([by_id[uid] for uid in panel.ids])

    def state(self) -> State:
        arrays: dict[str, np.ndarray] = {}
        skeletons = [encode(m.model_, arrays, f"s{i}") for i, m in enumerate(self.models_)]
        kinds = [type(m).__name__ for m in self.models_]
        config = {"name": self.name, "season": self.season, "fingerprint": self.fingerprint_, "kinds": kinds, "states": skeletons}
        return config, arrays

    @classmethod
    def from_state(cls, state: Mapping[str, Any], tensors: Mapping[str, np.ndarray], series: int) -> StatsForecaster:
        require(state.get("name") == cls.name, f"statistical state is for {state.get('name')!r}, expected {cls.name!r}")
        season = state.get("season")
        require(isinstance(season, int) and 1 <= season <= 366, f"season {season!r} is not a number of days in 1..366")
        kinds, skeletons = state.get("kinds"), state.get("states")
        require(
            isinstance(kinds, list) and isinstance(skeletons, list) and len(kinds) == len(skeletons) == series,
            f"{series} series but {len(kinds) if isinstance(kinds, list) else 'no'} fitted {cls.name} models",
        )
        require(isinstance(state.get("fingerprint"), str), "the fitted history's fingerprint is missing")
        self = cls(season)
        builders = {type(self.build()).__name__: self.build, type(self.fallback()).__name__: self.fallback}
        self.models_ = []
        for kind, skeleton in zip(kinds, skeletons):
            require(kind in builders, f"unexpected model type {kind!r} in a {cls.name} state")
            model = builders[kind]()
            model.model_ = decode(skeleton, dict(tensors))
            require(isinstance(model.model_, dict), f"the fitted state of a {kind} model is not a mapping")
            self.models_.append(model)
        self.fingerprint_ = state["fingerprint"]
        return self


class SeasonalNaive(StatsForecaster):
    """Each day repeats the same weekday of the last week: the benchmark every model must beat."""

    name = "seasonal_naive"

    def build(self) -> Any:
        return self.fallback()

    def min_history(self) -> int:
        return self.season + 1


class ETS(StatsForecaster):
    """Exponential smoothing (AutoETS): level, trend and weekly season chosen by AICc."""

    name = "ets"

    def build(self) -> Any:
        from statsforecast.models import AutoETS

        return AutoETS(season_length=self.season)


class ARIMA(StatsForecaster):
    """AutoARIMA with the approximate likelihood search (~10x faster, forecasts as good here)."""

    name = "arima"

    def build(self) -> Any:
        from statsforecast.models import AutoARIMA

        return AutoARIMA(season_length=self.season, approximation=True)


class Theta(StatsForecaster):
    """AutoTheta: the M3 competition's winner, a drifted level with a weekly season."""

    name = "theta"

    def build(self) -> Any:
        from statsforecast.models import AutoTheta

        return AutoTheta(season_length=self.season)
