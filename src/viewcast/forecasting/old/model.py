"""Forecast with a model saved by viewcast 0.1 or 0.2: one statsforecast model per series, the
equal-weight mean of ETS, ARIMA and Theta ("ensemble"), or the study's LSTM, with growth bands.

Read-only (see the package docstring): :func:`read_old_model` validates a saved state and returns
an engine that forecasts exactly as the version that saved it did.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from viewcast.errors import ConfigError, ModelLoadError, ViewcastError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.evaluation.metrics import seasonal_scale
from viewcast.forecasting.models import MODEL_NAMES
from viewcast.forecasting.models.codec import decode
from viewcast.forecasting.old.growth import GrowthCalibration
from viewcast.forecasting.panel import Panel
from viewcast.io.persist import require

OLD_NAMES = ("lstm", "seasonal_naive", "ets", "arima", "theta", "ensemble")
ENSEMBLE_MEMBERS = ("ets", "arima", "theta")
#: statsforecast class each old model name was built from (seasonal naive was every fit's fallback).
OLD_CLASSES = {"seasonal_naive": "SeasonalNaive", "ets": "AutoETS", "arima": "AutoARIMA", "theta": "AutoTheta"}
#: Band names and the probabilities they answer.
BAND_PROBABILITIES = {0.1: ("80", 0), 0.9: ("80", 1), 0.025: ("95", 0), 0.975: ("95", 1)}


def _build(kind: str, season: int) -> Any:
    import statsforecast.models as models

    if kind == "SeasonalNaive":
        return models.SeasonalNaive(season_length=season)
    if kind == "AutoARIMA":
        return models.AutoARIMA(season_length=season, approximation=True)
    return getattr(models, kind)(season_length=season)


class OldStatistical:
    """One fitted statsforecast model per series; the saved history's forecast or a forward."""

    def __init__(self, name: str, season: int, models: list[Any], fingerprint: str) -> None:
        self.name, self.season, self.models, self.fingerprint = name, season, models, fingerprint

    @classmethod
    def from_state(cls, state: Mapping[str, Any], tensors: Mapping[str, np.ndarray], series: int, name: str) -> OldStatistical:
        require(state.get("name") == name, f"statistical state is for {state.get('name')!r}, expected {name!r}")
        season = state.get("season")
        require(isinstance(season, int) and 1 <= season <= 366, f"season {season!r} is not a number of days in 1..366")
        kinds, skeletons = state.get("kinds"), state.get("states")
        require(
            isinstance(kinds, list) and isinstance(skeletons, list) and len(kinds) == len(skeletons) == series,
            f"{series} series but {len(kinds) if isinstance(kinds, list) else 'no'} fitted {name} models",
        )
        require(isinstance(state.get("fingerprint"), str), "the fitted history's fingerprint is missing")
        allowed = {OLD_CLASSES[name], "SeasonalNaive"}
        models = []
        for kind, skeleton in zip(kinds, skeletons):
            require(kind in allowed, f"unexpected model type {kind!r} in a {name} state")
            model = _build(kind, season)
            model.model_ = decode(skeleton, dict(tensors))
            require(isinstance(model.model_, dict), f"the fitted state of a {kind} model is not a mapping")
            models.append(model)
        return cls(name, season, models, state["fingerprint"])

    def min_history(self) -> int:
        return self.season + 1 if self.name == "seasonal_naive" else 2 * self.season + 2

    def predict(self, panel: Panel, steps: int) -> np.ndarray:
        same_history = panel.fingerprint() == self.fingerprint
        out = np.empty((len(panel), steps))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i, (model, values) in enumerate(zip(self.models, panel.values)):
                fitted = model.predict(h=steps) if same_history else model.forward(y=np.asarray(values, float), h=steps)
                out[i] = fitted["mean"]
        return out


class OldEnsemble:
    """The mean of its members' forecasts."""

    def __init__(self, members: list[OldStatistical]) -> None:
        self.members = members

    def min_history(self) -> int:
        return max(m.min_history() for m in self.members)

    def predict(self, panel: Panel, steps: int) -> np.ndarray:
        return np.mean([m.predict(panel, steps) for m in self.members], axis=0)


class OldLSTM:
    """The study's LSTM as saved then (the same network and state format as today's)."""

    def __init__(self, network: Any) -> None:
        self.network = network

    def min_history(self) -> int:
        return self.network.recipe.window

    def predict(self, panel: Panel, steps: int) -> np.ndarray:
        return self.network.predict(panel, steps)


@dataclass
class OldProjection:
    """Point forecasts with the 80% and 95% bands of the older calibration (no other probabilities)."""

    point: np.ndarray
    total_point: np.ndarray
    series_bands: dict[str, tuple[np.ndarray, np.ndarray]]
    total_bands: dict[str, tuple[np.ndarray, np.ndarray]]

    def bounds(self, q: float) -> tuple[np.ndarray, np.ndarray]:
        match = next((v for k, v in BAND_PROBABILITIES.items() if abs(k - q) < 1e-12), None)
        if match is None:
            raise ConfigError(
                f"a model saved by viewcast 0.1 or 0.2 has 80% and 95% bands only (probabilities 0.025, 0.1, 0.9, 0.975), "
                f"not {q!r}; refit it to read any quantile",
                param="quantiles",
            )
        band, side = match
        return self.series_bands[band][side], self.total_bands[band][side][0]

    def total_bound(self, q: float) -> np.ndarray:
        """The total's bound alone (the capacity plan's reader, as :class:`Projection` has it)."""
        return self.bounds(q)[1]


class OldEngine:
    """An older model behind today's :class:`~viewcast.forecasting.model.ForecastModel`."""

    def __init__(
        self, name: str, forecaster: Any, calibrations: tuple[GrowthCalibration, GrowthCalibration], saved: tuple
    ) -> None:
        self.name = name
        self.forecaster = forecaster
        self.calibration, self.total_calibration = calibrations
        self.saved = saved  # (config, tensors) exactly as read: saving again writes them back
        self.train_test_table_ = getattr(getattr(forecaster, "network", None), "train_test_table_", None)

    def min_history(self) -> int:
        return self.forecaster.min_history()

    def project(self, panel: Panel, horizon: int, member_forecasts: np.ndarray | None = None) -> OldProjection:
        lags = panel.lags()
        raw = np.maximum(self.forecaster.predict(panel, horizon + int(lags.max())), 0.0)
        point = np.stack([raw[i, lag : lag + horizon] for i, lag in enumerate(lags)])
        series_bands = self.calibration.bands(point, np.array([seasonal_scale(v) for v in panel.values]), offsets=lags)
        total_point = point.sum(axis=0, keepdims=True)
        common = panel.aligned_total()[-int(panel.lengths.min()) :]
        total_bands = self.total_calibration.bands(total_point, np.array([seasonal_scale(common)]))
        return OldProjection(point, total_point[0], series_bands, total_bands)

    def interval_notes(self, steps: int) -> list[str]:
        notes = []
        if self.calibration.backtest_horizon < steps:
            notes.append(
                f"Intervals for days {self.calibration.backtest_horizon + 1}-{steps} extrapolate the backtest's error growth "
                f"(h^{self.calibration.growth_b:.2f}) of a model saved by an older viewcast."
            )
        return notes

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return self.saved


def _old_options(options: Any) -> ForecastConfig:
    """The fitted run's options, less what this version no longer has (the backtest sample size,
    the LSTM's seed and threads inside its recipe, the "ensemble" choice)."""
    require(isinstance(options, dict), "the forecast options are missing")
    options = {k: v for k, v in options.items() if k != "backtest_max_series"}
    if isinstance(options.get("lstm"), dict):
        options["lstm"] = {k: v for k, v in options["lstm"].items() if k not in ("seed", "threads")}
    if options.get("model") not in ("auto", *MODEL_NAMES):
        options["model"] = "auto"
    try:
        return ForecastConfig.parse(options)
    except ViewcastError as exc:
        raise ModelLoadError(f"model state does not fit: saved forecast options are invalid ({exc})") from None


def read_old_model(config: Mapping[str, Any], tensors: Mapping[str, np.ndarray]) -> tuple[OldEngine, ForecastConfig, Any]:
    """``(engine, options, backtest summary)`` of a model saved by viewcast 0.1 or 0.2."""
    name = config.get("model")
    require(name in OLD_NAMES, f"model {name!r} is not one of {', '.join(OLD_NAMES)}")
    options = _old_options(config.get("forecast_config"))
    require(options.model in ("auto", name), f"options ask for model {options.model!r} but the state holds {name!r}")
    series = config.get("series")
    require(isinstance(series, list) and len(series) >= 1, "series ids must be a non-empty list of texts")
    calibrations = (
        GrowthCalibration.from_dict(config.get("calibration")),
        GrowthCalibration.from_dict(config.get("total_calibration")),
    )
    state = config.get("state")
    require(isinstance(state, dict), "the fitted state is missing")
    if name == "lstm":
        from viewcast.forecasting.models.lstm import LSTMForecaster  # torch only for LSTM models

        forecaster: Any = OldLSTM(LSTMForecaster.from_state(state, tensors, len(series)))
    elif name == "ensemble":
        members, states = state.get("members"), state.get("states")
        require(isinstance(members, list) and len(members) >= 1, "an ensemble without members")
        require(
            set(members) <= set(ENSEMBLE_MEMBERS),
            f"unexpected ensemble members {members}; expected some of {list(ENSEMBLE_MEMBERS)}",
        )
        require(isinstance(states, list) and len(states) == len(members), "ensemble members and their states differ in number")
        forecaster = OldEnsemble(
            [
                OldStatistical.from_state(
                    s, {k[len(f"m{i}.") :]: v for k, v in tensors.items() if k.startswith(f"m{i}.")}, len(series), m
                )
                for i, (m, s) in enumerate(zip(members, states))
            ]
        )
    else:
        forecaster = OldStatistical.from_state(state, tensors, len(series), name)
    return OldEngine(name, forecaster, calibrations, (dict(config), dict(tensors))), options, config.get("backtest")
