"""Statistical baselines from statsforecast behind the same small interface as the LSTM.

``seasonal_naive`` (weekly), ``ets`` (AutoETS), ``arima`` (AutoARIMA) and ``theta`` (AutoTheta),
all with a weekly season. Every forecaster has ``fit(panel)``, ``predict(panel, h)`` returning a
``(series, h)`` array, and ``state()``/``from_state()`` for safe persistence. Prediction
intervals are not taken from the models' own distributional assumptions: they come from the
backtest's errors (:mod:`viewcast.forecasting.intervals`), the same way for every model.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from viewcast.errors import ModelLoadError
from viewcast.forecasting.panel import Panel
from viewcast.forecasting.statestore import decode, encode

SEASON = 7
STAT_MODELS = ("seasonal_naive", "ets", "arima", "theta")
PARALLEL_SERIES = 64  # below this, process start-up costs more than a second core saves


def build_model(name: str, season: int = SEASON):
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    if name == "seasonal_naive":
        return SeasonalNaive(season_length=season)
    if name == "ets":
        return AutoETS(season_length=season)
    if name == "arima":
        # The approximate likelihood search is ~10x faster with forecasts of the same quality here.
        return AutoARIMA(season_length=season, approximation=True)
    if name == "theta":
        return AutoTheta(season_length=season)
    raise ValueError(f"unknown statistical model {name!r}")


def _n_jobs(n_series: int) -> int:
    configured = os.environ.get("VIEWCAST_JOBS")
    if configured:
        return max(1, int(configured))
    return min(2, os.cpu_count() or 1) if n_series >= PARALLEL_SERIES else 1


class StatsForecaster:
    """One statsforecast model fitted per series. Fitted state: ``models_`` and ``fingerprint_``."""

    def __init__(self, name: str, season: int = SEASON) -> None:
        if name not in STAT_MODELS:
            raise ValueError(f"unknown statistical model {name!r}")
        self.name = name
        self.season = season

    def min_history(self) -> int:
        return self.season + 1 if self.name == "seasonal_naive" else 2 * self.season + 2

    def _statsforecast(self, n_series: int):
        from statsforecast import StatsForecast

        return StatsForecast(
            models=[build_model(self.name, self.season)],
            freq=1,
            n_jobs=_n_jobs(n_series),
            fallback_model=build_model("seasonal_naive", self.season),
        )

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

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {}
        skeletons = [encode(m.model_, arrays, f"s{i}") for i, m in enumerate(self.models_)]
        kinds = [type(m).__name__ for m in self.models_]
        return {
            "name": self.name,
            "season": self.season,
            "fingerprint": self.fingerprint_,
            "kinds": kinds,
            "states": skeletons,
        }, arrays

    @classmethod
    def from_state(cls, config: dict, tensors: dict[str, np.ndarray]) -> StatsForecaster:
        self = cls(config["name"], int(config["season"]))
        primary, fallback = build_model(self.name, self.season), build_model("seasonal_naive", self.season)
        allowed = {type(primary).__name__: self.name, type(fallback).__name__: "seasonal_naive"}
        self.models_ = []
        for kind, skeleton in zip(config["kinds"], config["states"]):
            if kind not in allowed:
                raise ModelLoadError(f"saved model holds an unexpected model type {kind!r}")
            model = build_model(allowed[kind], self.season)
            model.model_ = decode(skeleton, tensors)
            self.models_.append(model)
        self.fingerprint_ = config["fingerprint"]
        return self
