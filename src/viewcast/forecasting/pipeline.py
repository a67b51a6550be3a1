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

from viewcast._version import __version__
from viewcast.errors import ModelLoadError, ViewcastError
from viewcast.forecasting.backtest import BacktestResult, run_backtest
from viewcast.forecasting.capacity import CapacityConfig, plan_capacity, total_upper_bound
from viewcast.forecasting.data import DayAxis, ViewsData, load_views
from viewcast.forecasting.ensemble import MEMBERS, EnsembleForecaster, add_to_backtest
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
    fill_gaps: Literal["interpolate", "zero", "ffill", "error"] = "interpolate"
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
    total: pd.DataFrame  # date, point, lo80, hi80, lo95, hi95 of all series together
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
    _calibrations: tuple[Calibration, Calibration] | None = field(default=None, repr=False)
    _backtest_raw: BacktestResult | None = field(default=None, repr=False)
    _panel: Panel | None = field(default=None, repr=False)

    def metrics(self) -> dict[str, Any]:
        """The content of ``metrics.json``."""
        return {
            "viewcast_version": __version__,
            "source": self.source,
            "chosen_model": self.chosen,
            "selection": self.backtest.get("selection", "requested"),
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
            "calibration": self._calibrations[0].to_dict(),
            "total_calibration": self._calibrations[1].to_dict(),
            "backtest": self.backtest,
            "state": state,
        }
        return save_model(directory, MODEL_KIND, config, tensors)


def _flag(location: tuple) -> str:
    """Name an option as the command line spells it: ('capacity', 'peak_factor') -> --peak-factor."""
    name = str(location[-1]) if location and location[0] in ("capacity", "lstm") and len(location) > 1 else str(location[0])
    return "--" + name.replace("_", "-")


def _config(options: dict[str, Any]) -> ForecastConfig:
    try:
        return ForecastConfig(**options)
    except ValidationError as exc:
        problems = "; ".join(f"{_flag(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ViewcastError(f"invalid forecast options: {problems}") from None


def _check_history(panel: Panel, config: ForecastConfig, source: str) -> None:
    """Refuse to forecast further ahead than the history reaches back, naming the short series."""
    shortest = int(panel.lengths.min())
    if shortest < config.horizon:
        short = [uid for uid, n in zip(panel.ids, panel.lengths) if n < config.horizon]
        raise ViewcastError(
            f"{source}: history too short for --horizon {config.horizon}: series {', '.join(map(repr, short[:5]))}"
            f"{' ...' if len(short) > 5 else ''} ha{'s' if len(short) == 1 else 've'} only {shortest} day(s); "
            "a forecast should not reach further ahead than the history reaches back (lower --horizon, or drop those series)"
        )


LARGE_PANEL = 200  # series; beyond this auto leaves out AutoARIMA, whose order search dominates run time


def _members(n_series: int) -> tuple[str, ...]:
    return tuple(m for m in MEMBERS if not (m == "arima" and n_series > LARGE_PANEL))


def _candidates(config: ForecastConfig, shortest: int, n_series: int = 1) -> tuple[list[Any], list[str]]:
    """Models to backtest: all for ``auto`` (dropping those the history is too short for)."""
    members = _members(n_series) if config.model == "auto" else MEMBERS

    def make(name: str):
        if name == "ensemble":
            return EnsembleForecaster(members)
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
        names = list(members) if config.model == "ensemble" else [config.model]
        names += ["seasonal_naive"] if config.model != "seasonal_naive" else []
        return [make(n) for n in names], notes
    models = []
    if len(members) < len(MEMBERS):
        notes.append(
            f"AutoARIMA left out of auto for {n_series} series (more than {LARGE_PANEL}): its order search costs 1-3 s "
            "per long series; the ensemble averages ETS and Theta. Ask for --model arima to run it anyway."
        )
    for name in MODEL_NAMES:
        if name == "arima" and "arima" not in members:
            continue
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
    views = data if isinstance(data, ViewsData) else load_views(data, gap_policy=config.fill_gaps)
    panel = aggregate(views, config.by)
    notes = list(views.notes)
    timings: dict[str, float] = {"load": time.perf_counter() - started}
    if load_model is not None:
        return _forecast_from_saved(Path(load_model), views, panel, config, notes, timings)

    _check_history(panel, config, views.source)
    forecasters, candidate_notes = _candidates(config, int(panel.lengths.min()), len(panel))
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
        add_to_backtest(backtest, _members(len(panel)) if config.model == "auto" else MEMBERS)
    chosen, reason = (config.model, "requested") if config.model != "auto" else backtest.select()

    tick = time.perf_counter()
    final = {f.name: f for f in _candidates(config, int(panel.lengths.min()), len(panel))[0]}
    final["ensemble"] = EnsembleForecaster(_members(len(panel)) if config.model == "auto" else MEMBERS)
    forecaster = final[chosen].fit(panel)
    lstm = forecaster if chosen == "lstm" else None
    if lstm is None and "lstm" in final:
        if len(panel) <= LARGE_PANEL:
            lstm = final["lstm"].fit(panel)  # the study's train/test table, on the whole history
        else:  # too costly to refit only for the table: report the last backtest origin's fit
            lstm = next(f for f in forecasters if f.name == "lstm")
            notes.append("LSTM train/test table from its fit at the last backtest origin (on the sampled series).")
    timings["final_fit"] = time.perf_counter() - tick
    calibrations = (
        calibrate(backtest.actual, backtest.models[chosen].forecast, backtest.scale),
        calibrate(*backtest.total_errors(chosen)),
    )
    summary = _backtest_summary(backtest, chosen) | {"selection": reason}
    result = _assemble(views, panel, config, chosen, forecaster, calibrations, summary, notes, timings)
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
            name: {**bt.metrics, "seconds": bt.seconds}
            for name, bt in sorted(backtest.models.items(), key=lambda kv: kv[1].metrics["mase"])
        },
        "notes": plan.notes,
    }


def _assemble(
    views: ViewsData,
    panel: Panel,
    config: ForecastConfig,
    chosen: str,
    forecaster: Any,
    calibrations: tuple[Calibration, Calibration],
    backtest_summary: dict[str, Any],
    notes: list[str],
    timings: dict[str, float],
) -> ForecastResult:
    """Point forecast, bands, tables and the capacity plan from a fitted forecaster.

    ``calibrations`` are the per-series bands' and the total's. The capacity plan uses the bands
    of the total, calibrated on the backtest errors of the summed series: adding up every
    series' own 95% bound would assume all creators peak together and would make the plan depend
    on ``--by`` (a per-creator run would buy twice the fleet of a total run for the same views).
    """
    series_calibration, total_calibration = calibrations
    horizon = config.horizon
    lags = panel.lags()
    # Series that end early are forecast through their missing days so every series covers the
    # same future dates as the latest one.
    raw = np.maximum(forecaster.predict(panel, horizon + int(lags.max())), 0.0)
    point = np.stack([raw[i, lag : lag + horizon] for i, lag in enumerate(lags)])
    growth_scale = np.array([seasonal_scale(v) for v in panel.values])
    band = bands(point, growth_scale, series_calibration, offsets=lags)
    labels = views.axis.label_strings(int(panel.ends().max()) + 1 + np.arange(horizon))
    forecast = pd.DataFrame(
        {
            "series": np.repeat(np.array(panel.ids, dtype=object), horizon),
            "date": labels * len(panel),
            "point": point.ravel(),
            "lo80": band["80"][0].ravel(),
            "hi80": band["80"][1].ravel(),
            "lo95": band["95"][0].ravel(),
            "hi95": band["95"][1].ravel(),
        }
    )
    history = pd.concat(
        [
            pd.DataFrame({"series": uid, "date": views.axis.label_strings(s + np.arange(len(v))), "views": v})
            for uid, s, v in zip(panel.ids, panel.starts, panel.values)
        ],
        ignore_index=True,
    )
    total_point = point.sum(axis=0, keepdims=True)
    total_band = bands(total_point, np.array([seasonal_scale(panel.total())]), total_calibration)
    total = pd.DataFrame(
        {
            "date": labels,
            "point": total_point[0],
            **{f"{side}{level}": total_band[level][k][0] for level in ("80", "95") for k, side in ((0, "lo"), (1, "hi"))},
        }
    )
    capacity = plan_capacity(
        labels, total["hi95"].to_numpy(), total["point"].to_numpy(), config.capacity, label_prefix=views.axis.prefix
    )
    totals = {
        "days": horizon,
        "point": float(total["point"].sum()),
        "hi95": total_upper_bound(total["hi95"].to_numpy()),
        "lo95": float(total["lo95"].sum()),
    }
    if lags.max() > 0:
        late = [f"{uid} ({lag} days)" for uid, lag in zip(panel.ids, lags) if lag > 0]
        notes.append(
            "Series ending before the latest day were forecast through their missing days: "
            + ", ".join(late[:10])
            + (" ..." if len(late) > 10 else "")
        )
    if series_calibration.backtest_horizon < horizon:
        notes.append(
            f"Intervals for days {series_calibration.backtest_horizon + 1}-{horizon} extrapolate the backtest's error "
            f"growth (h^{series_calibration.growth_b:.2f}); they are less certain than the first "
            f"{series_calibration.backtest_horizon} days."
        )
    if series_calibration.scores < 40:
        notes.append(
            f"Only {series_calibration.scores} backtest errors calibrate the intervals: the 95% band rests on the "
            "largest errors seen and may be too narrow; read it as a lower estimate of the risk."
        )
    return ForecastResult(
        config=config,
        chosen=chosen,
        forecast=forecast,
        history=history,
        total=total,
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
        _calibrations=calibrations,
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
        calibrations = (Calibration.from_dict(cfg["calibration"]), Calibration.from_dict(cfg["total_calibration"]))
        if name == "lstm":
            forecaster = LSTMForecaster.from_state(cfg["state"], saved.tensors)
        elif name == "ensemble":
            forecaster = EnsembleForecaster.from_state(cfg["state"], saved.tensors)
        else:
            forecaster = StatsForecaster.from_state(cfg["state"], saved.tensors)
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError, ValidationError) as exc:
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
    run_config = saved_config.model_copy(
        update={"horizon": config.horizon, "capacity": config.capacity, "progress": config.progress}
    )
    timings["load_model"] = time.perf_counter() - tick
    result = _assemble(views, panel, run_config, name, forecaster, calibrations, cfg["backtest"], notes, timings)
    result.lstm_table = cfg["state"].get("train_test_table") if name == "lstm" else None
    result.loaded_from = str(directory)
    result.notes.append(f"Forecast with the saved model in {directory} (no retraining; intervals from its backtest).")
    return result
