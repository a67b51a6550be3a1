"""The views forecast as one pure function: data + config -> :class:`ForecastResult`.

``run_forecast`` validates the input, aggregates views per day, backtests the candidate models on
the same rolling origins, picks the lowest MASE (or the model asked for), refits it on the full
history, adds conformal intervals from its backtest errors and turns the 95% bound into a capacity
plan. The CLI and the notebook API both call it; nothing here prints or writes files except
:meth:`ForecastResult.save` and :meth:`ForecastResult.save_model`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from viewcast import __version__
from viewcast.data.influencers import DayAxis, ViewsData, load_views
from viewcast.errors import ModelLoadError, ViewcastError
from viewcast.forecasting.backtest import BacktestResult, run_backtest
from viewcast.forecasting.ensemble import MEMBERS, EnsembleForecaster, add_to_backtest
from viewcast.forecasting.capacity import CapacityConfig, plan_capacity, total_upper_bound
from viewcast.forecasting.intervals import Calibration, bands, calibrate
from viewcast.forecasting.lstm import LSTMForecaster, LSTMRecipe
from viewcast.forecasting.metrics import seasonal_scale
from viewcast.forecasting.panel import Panel, aggregate
from viewcast.forecasting.statistical import STAT_MODELS, StatsForecaster

MODEL_NAMES = ("lstm", *STAT_MODELS)  # backtested; "ensemble" is scored from its members' backtests
MODEL_KIND = "forecast"


class ForecastConfig(BaseModel):
    """Everything a forecast run depends on; validated so that bad options fail before any work."""

    model_config = ConfigDict(extra="forbid")

    horizon: int = Field(30, ge=1, le=730)
    model: Literal["auto", "lstm", "seasonal_naive", "ets", "arima", "theta", "ensemble"] = "auto"
    by: Literal["total", "category", "creator"] = "total"
    seed: int = 0
    gap_policy: Literal["interpolate", "zero", "ffill", "error"] = "interpolate"
    backtest_windows: int = Field(5, ge=1, le=50)
    backtest_max_series: int = Field(100, ge=1)
    threads: int | None = Field(None, ge=1)
    progress: bool = True
    lstm: LSTMRecipe = Field(default_factory=LSTMRecipe)
    capacity: CapacityConfig = Field(default_factory=CapacityConfig)


@dataclass
class ForecastResult:
    """Forecast, metrics, capacity plan and the fitted model of one run."""

    config: ForecastConfig
    chosen: str
    forecast: pd.DataFrame  # series, date, point, lo80, hi80, lo95, hi95
    history: pd.DataFrame  # series, date, views (the aggregated input)
    backtest: dict[str, Any]  # plan + per-model metrics
    capacity: dict[str, Any]
    totals: dict[str, float]
    lstm_table: dict[str, Any] | None
    lstm_history: dict[str, Any] | None
    notes: list[str]
    timings: dict[str, float]
    source: str
    axis: DayAxis
    loaded_from: str | None = None
    _forecaster: Any = field(default=None, repr=False)
    _calibration: Calibration | None = field(default=None, repr=False)
    _backtest_raw: BacktestResult | None = field(default=None, repr=False)
    _panel: Panel | None = field(default=None, repr=False)

    def metrics(self) -> dict[str, Any]:
        """The content of ``metrics.json``."""
        return {
            "viewcast_version": __version__,
            "source": self.source,
            "chosen_model": self.chosen,
            "selection": "requested" if self.config.model != "auto" else "lowest backtest MASE",
            "horizon": self.config.horizon,
            "by": self.config.by,
            "series": int(self.forecast["series"].nunique()),
            "next_total": self.totals,
            "backtest": self.backtest,
            "lstm_train_test": self.lstm_table,
            "lstm_training": self.lstm_history,
            "capacity_plan": self.capacity,
            "notes": self.notes,
            "timings_seconds": self.timings,
            "loaded_from": self.loaded_from,
            "config": self.config.model_dump(),
        }

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write forecast.csv, metrics.json, the plots and report.html into ``directory``."""
        from viewcast.forecasting.report import write_outputs

        return write_outputs(self, Path(directory))

    def save_model(self, directory: str | os.PathLike[str]) -> Path:
        """Save the fitted model, its interval calibration and backtest record (safetensors + JSON)."""
        from viewcast.persist import save_model

        state, tensors = self._forecaster.state()
        config = {
            "model": self.chosen,
            "forecast_config": self.config.model_dump(),
            "series": list(self._panel.ids),
            "axis": self.axis.to_dict(),
            "calibration": self._calibration.to_dict(),
            "backtest": self.backtest,
            "state": state,
        }
        return save_model(directory, MODEL_KIND, config, tensors)


def _config(options: dict[str, Any]) -> ForecastConfig:
    try:
        return ForecastConfig(**options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ViewcastError(f"invalid forecast options: {problems}") from None


def _candidates(config: ForecastConfig, shortest: int) -> tuple[list[Any], list[str]]:
    """Models to backtest: all for ``auto`` (dropping those the history is too short for)."""
    def make(name: str):
        if name == "ensemble":
            return EnsembleForecaster()
        if name == "lstm":
            recipe = config.lstm.model_copy(update={"seed": config.seed, "threads": config.threads})
            return LSTMForecaster(recipe, progress=config.progress)
        return StatsForecaster(name)

    notes: list[str] = []
    if config.model != "auto":
        chosen = make(config.model)
        if shortest < chosen.min_history() + 1:
            raise ViewcastError(
                f"history too short for --model {config.model}: it needs at least {chosen.min_history() + 1} days "
                f"per series, the shortest series has {shortest}"
            )
        names = list(MEMBERS) if config.model == "ensemble" else [config.model]
        names += ["seasonal_naive"] if config.model != "seasonal_naive" else []
        return [make(n) for n in names], notes
    models = []
    for name in MODEL_NAMES:
        model = make(name)
        if shortest >= model.min_history() + 7:
            models.append(model)
        else:
            notes.append(f"{name} left out: needs {model.min_history() + 7} days of history, shortest series has {shortest}.")
    if not models:
        raise ViewcastError(f"history too short: the shortest series has {shortest} days; at least 15 are needed")
    return models, notes


def run_forecast(
    data: str | os.PathLike[str] | pd.DataFrame | ViewsData, *, load_model: str | os.PathLike[str] | None = None, **options: Any
) -> ForecastResult:
    """Forecast daily views ``horizon`` days ahead (see :class:`ForecastConfig` for options)."""
    config = _config(options)
    started = time.perf_counter()
    views = data if isinstance(data, ViewsData) else load_views(data, gap_policy=config.gap_policy)
    panel = aggregate(views, config.by)
    notes = list(views.notes)
    timings: dict[str, float] = {"load": time.perf_counter() - started}
    if load_model is not None:
        return _forecast_from_saved(Path(load_model), views, panel, config, notes, timings)

    forecasters, candidate_notes = _candidates(config, int(panel.lengths.min()))
    notes += candidate_notes
    tick = time.perf_counter()
    backtest = run_backtest(
        panel,
        forecasters,
        config.horizon,
        max_windows=config.backtest_windows,
        max_series=config.backtest_max_series,
        seed=config.seed,
        progress=config.progress,
    )
    timings["backtest"] = time.perf_counter() - tick
    notes += backtest.plan.notes
    if config.model in ("auto", "ensemble"):
        add_to_backtest(backtest)
    chosen = config.model if config.model != "auto" else backtest.ranking()[0]

    tick = time.perf_counter()
    final = {f.name: f for f in _candidates(config, int(panel.lengths.min()))[0]}
    final["ensemble"] = EnsembleForecaster()
    forecaster = final[chosen].fit(panel)
    lstm = forecaster if chosen == "lstm" else (final["lstm"].fit(panel) if "lstm" in final else None)
    timings["final_fit"] = time.perf_counter() - tick
    chosen_bt = backtest.models[chosen]
    calibration = calibrate(backtest.actual, chosen_bt.forecast, backtest.scale)
    result = _assemble(views, panel, config, chosen, forecaster, calibration, _backtest_summary(backtest, chosen), notes, timings)
    result.lstm_table = lstm.train_test_table_ if lstm is not None else None
    result.lstm_history = (lstm.history_.as_dict() | {"note": lstm.training_note_}) if lstm is not None else None
    result._backtest_raw = backtest
    result.timings["total"] = time.perf_counter() - started
    return result


def _backtest_summary(backtest: BacktestResult, chosen: str) -> dict[str, Any]:
    plan = backtest.plan
    return {
        "windows": plan.windows,
        "window_days": plan.horizon,
        "requested_horizon": plan.requested_horizon,
        "series_backtested": plan.series_used,
        "series_total": plan.series_total,
        "ranking": backtest.ranking(),
        "chosen": chosen,
        "models": {
            name: {**bt.metrics, "seconds": bt.seconds} for name, bt in sorted(backtest.models.items(), key=lambda kv: kv[1].metrics["mase"])
        },
        "notes": plan.notes,
    }


def _assemble(
    views: ViewsData,
    panel: Panel,
    config: ForecastConfig,
    chosen: str,
    forecaster: Any,
    calibration: Calibration,
    backtest_summary: dict[str, Any],
    notes: list[str],
    timings: dict[str, float],
) -> ForecastResult:
    """Point forecast, bands, tables and the capacity plan from a fitted forecaster."""
    horizon = config.horizon
    point = np.maximum(forecaster.predict(panel, horizon), 0.0)
    scales = np.array([seasonal_scale(v) for v in panel.values])
    band = bands(point, scales, calibration)
    rows = []
    ends = panel.ends()
    for i, uid in enumerate(panel.ids):
        labels = views.axis.label_strings(ends[i] + 1 + np.arange(horizon))
        rows.append(
            pd.DataFrame(
                {
                    "series": uid,
                    "date": labels,
                    "point": point[i],
                    "lo80": band["80"][0][i],
                    "hi80": band["80"][1][i],
                    "lo95": band["95"][0][i],
                    "hi95": band["95"][1][i],
                }
            )
        )
    forecast = pd.concat(rows, ignore_index=True)
    history = pd.concat(
        [
            pd.DataFrame({"series": uid, "date": views.axis.label_strings(s + np.arange(len(v))), "views": v})
            for uid, s, v in zip(panel.ids, panel.starts, panel.values)
        ],
        ignore_index=True,
    )
    daily = forecast.groupby("date", sort=False)[["point", "hi95"]].sum()
    capacity = plan_capacity(list(daily.index), daily["hi95"].to_numpy(), daily["point"].to_numpy(), config.capacity)
    totals = {
        "days": horizon,
        "point": float(point.sum()),
        "hi95": total_upper_bound(band["95"][1]),
        "lo95": float(band["95"][0].sum()),
    }
    if calibration.backtest_horizon < horizon:
        notes.append(
            f"Intervals for days {calibration.backtest_horizon + 1}-{horizon} extrapolate the backtest's error growth "
            f"(h^{calibration.growth_b:.2f}); they are less certain than the first {calibration.backtest_horizon} days."
        )
    return ForecastResult(
        config=config,
        chosen=chosen,
        forecast=forecast,
        history=history,
        backtest=backtest_summary,
        capacity=capacity,
        totals=totals,
        lstm_table=None,
        lstm_history=None,
        notes=notes,
        timings=timings,
        source=views.source,
        axis=views.axis,
        _forecaster=forecaster,
        _calibration=calibration,
        _panel=panel,
    )


def _forecast_from_saved(
    directory: Path, views: ViewsData, panel: Panel, config: ForecastConfig, notes: list[str], timings: dict[str, float]
) -> ForecastResult:
    """Forecast with a saved model: no backtest, no training; same numbers on the same data."""
    from viewcast.persist import load_model

    tick = time.perf_counter()
    saved = load_model(directory, MODEL_KIND)
    cfg = saved.config
    try:
        name = cfg["model"]
        saved_config = ForecastConfig(**cfg["forecast_config"])
        calibration = Calibration.from_dict(cfg["calibration"])
        if name == "lstm":
            forecaster = LSTMForecaster.from_state(cfg["state"], saved.tensors)
        elif name == "ensemble":
            forecaster = EnsembleForecaster.from_state(cfg["state"], saved.tensors)
        else:
            forecaster = StatsForecaster.from_state(cfg["state"], saved.tensors)
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise ModelLoadError(f"{directory}: model configuration is incomplete or invalid ({exc})") from None
    if saved_config.by != config.by:
        raise ViewcastError(f"{directory}: the model forecasts --by {saved_config.by}, but --by {config.by} was asked")
    if list(cfg["series"]) != list(panel.ids):
        raise ViewcastError(
            f"{directory}: the model was fitted to series {cfg['series'][:5]}{'...' if len(cfg['series']) > 5 else ''}, "
            f"the data has {panel.ids[:5]}{'...' if len(panel) > 5 else ''}"
        )
    if name == "lstm" and int(panel.lengths.min()) < forecaster.recipe.window:
        raise ViewcastError(f"the LSTM needs the last {forecaster.recipe.window} days of every series")
    run_config = saved_config.model_copy(update={"horizon": config.horizon, "capacity": config.capacity, "progress": config.progress})
    timings["load_model"] = time.perf_counter() - tick
    result = _assemble(views, panel, run_config, name, forecaster, calibration, cfg["backtest"], notes, timings)
    result.lstm_table = cfg["state"].get("train_test_table") if name == "lstm" else None
    result.loaded_from = str(directory)
    result.notes.append(f"Forecast with the saved model in {directory} (no retraining; intervals from its backtest).")
    return result
