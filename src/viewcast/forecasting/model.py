"""The fitted views forecaster as a model kind: save it, load it, and forecast new history with it.

A :class:`ForecastModel` holds what a run fitted and measured: the chosen forecaster of the pool,
the interval calibrations of its series and of their total (from its backtest errors), the ids
of the series it was fitted to, how they were aggregated (``by``), the day axis and the backtest
summary. The same :meth:`ForecastModel.outlook` makes the forecast of a fresh run and of a model
loaded years later, so both give the same numbers on the same history.

Loading validates everything before a forecast can use it: the model name is one of the pool,
the forecaster holds one fitted model per saved series, arrays have the shapes the saved options
imply and hold finite values, and calibrations make ordered, finite bands. A folder whose
``config.json`` was edited and whose checksums were recomputed is refused, not trusted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from viewcast.contracts import Config
from viewcast.errors import DataValidationError, ModelLoadError, ViewcastError
from viewcast.forecasting.capacity import plan_capacity, total_upper_bound
from viewcast.forecasting.config import MAX_HORIZON, CapacityConfig, ForecastConfig
from viewcast.forecasting.data import DayAxis, ViewsData, load_views
from viewcast.forecasting.evaluation.intervals import Calibration, bands
from viewcast.forecasting.evaluation.metrics import seasonal_scale
from viewcast.forecasting.models import MODEL_NAMES, model_class
from viewcast.forecasting.models.base import Forecaster
from viewcast.forecasting.panel import Panel, aggregate
from viewcast.io.persist import require

KIND = "forecast"
#: Most series a saved forecast model may hold.
MAX_SERIES = 1_000_000


@dataclass
class Outlook:
    """What a fitted model says about the days ahead of a history."""

    forecast: pd.DataFrame  # series, date, point, lo80, hi80, lo95, hi95
    history: pd.DataFrame  # series, date, views: the aggregated history it continues
    total: pd.DataFrame  # date, point, lo80, hi80, lo95, hi95 of all series together
    capacity: dict[str, Any]
    totals: dict[str, float]
    notes: list[str] = field(default_factory=list)


class ForecastRequest(Config):
    """What :meth:`ForecastModel.predict` answers: new history, and optionally days and planning assumptions."""

    history: Any = Field(description="rows of unique_id, ds, y (or the study's Day, TikTokerID, Category, Views)")
    horizon: int | None = Field(None, ge=1, le=MAX_HORIZON, description="days ahead; default: the fitted run's horizon")
    capacity: CapacityConfig | None = Field(None, description="planning assumptions; default: the fitted run's")


class ForecastModel:
    """A fitted forecaster with its intervals, series and options (kind ``"forecast"``)."""

    KIND = KIND

    def __init__(
        self,
        forecaster: Forecaster,
        calibrations: tuple[Calibration, Calibration],
        series: list[str],
        config: ForecastConfig,
        axis: DayAxis,
        backtest: dict[str, Any],
    ) -> None:
        self.forecaster = forecaster
        self.calibration, self.total_calibration = calibrations
        self.series = list(series)
        self.config = config
        self.axis = axis
        self.backtest = backtest
        self.restored = False

    @property
    def name(self) -> str:
        """The pool model that forecasts (``"ets"``, ``"lstm"``...)."""
        return self.forecaster.name

    @property
    def by(self) -> str:
        return self.config.by

    # --- forecasting -------------------------------------------------------------------------
    def outlook_for(self, views: ViewsData, horizon: int, capacity: CapacityConfig) -> Outlook:
        """Forecast a validated history of the series this model was fitted to."""
        panel = aggregate(views, self.by)
        if list(panel.ids) != self.series:
            raise DataValidationError(
                f"{views.source}: the model was fitted to series {_some(self.series)} (by {self.by}), "
                f"the data has {_some(panel.ids)}"
            )
        needed = self.forecaster.min_forecast_history()
        short = [uid for uid, n in zip(panel.ids, panel.lengths) if n < needed]
        if short:
            raise DataValidationError(
                f"{views.source}: the {self.name} model forecasts from the last {needed} days of every series; "
                f"series {_some(short)} have fewer"
            )
        return self.outlook(panel, views.axis, horizon, capacity)

    def outlook(self, panel: Panel, axis: DayAxis, horizon: int, capacity: CapacityConfig) -> Outlook:
        """Point forecast, bands, tables and the capacity plan for ``panel``.

        The capacity plan uses the bands of the total, calibrated on the backtest errors of the
        summed series: adding up every series' own 95% bound would assume all creators peak
        together and would make the plan depend on ``by`` (a per-creator run would buy twice the
        fleet of a total run for the same views).
        """
        lags = panel.lags()
        axis.check_reaches(int(panel.ends().max()) + horizon)
        # Series that end early are forecast through their missing days so every series covers the
        # same future dates as the latest one.
        raw = np.maximum(self._predict(panel, horizon + int(lags.max())), 0.0)
        point = np.stack([raw[i, lag : lag + horizon] for i, lag in enumerate(lags)])
        growth_scale = np.array([seasonal_scale(v) for v in panel.values])
        band = bands(point, growth_scale, self.calibration, offsets=lags)
        self._require_finite(point, *band["95"], ids=panel.ids)
        labels = axis.label_strings(int(panel.ends().max()) + 1 + np.arange(horizon))
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
                pd.DataFrame({"series": uid, "date": axis.label_strings(s + np.arange(len(v))), "views": v})
                for uid, s, v in zip(panel.ids, panel.starts, panel.values)
            ],
            ignore_index=True,
        )
        total_point = point.sum(axis=0, keepdims=True)
        total_band = bands(total_point, np.array([seasonal_scale(panel.total())]), self.total_calibration)
        self._require_finite(total_point, *total_band["95"], ids=["total"])
        total = pd.DataFrame(
            {
                "date": labels,
                "point": total_point[0],
                **{f"{side}{level}": total_band[level][k][0] for level in ("80", "95") for k, side in ((0, "lo"), (1, "hi"))},
            }
        )
        plan = plan_capacity(labels, total["hi95"].to_numpy(), total["point"].to_numpy(), capacity, label_prefix=axis.prefix)
        totals = {
            "days": horizon,
            "point": float(total["point"].sum()),
            "hi95": total_upper_bound(total["hi95"].to_numpy()),
            "lo95": float(total["lo95"].sum()),
        }
        return Outlook(forecast, history, total, plan, totals, self._notes(panel, lags, horizon))

    def _predict(self, panel: Panel, horizon: int) -> np.ndarray:
        if not self.restored:
            return self.forecaster.predict(panel, horizon)
        try:  # a loaded state passed every check; whatever still fails is the state's fault, not a bug
            return self.forecaster.predict(panel, horizon)
        except (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError, RuntimeError) as exc:
            raise ModelLoadError(
                f"the saved {self.name} model cannot forecast this history ({type(exc).__name__}: {str(exc)[:200]})"
            ) from None

    def _require_finite(self, *arrays: np.ndarray, ids: list[str]) -> None:
        """Nothing infinite or NaN leaves a forecast: a model that diverges is refused, by series."""
        bad = ~np.all([np.isfinite(a).all(axis=1) for a in arrays], axis=0)
        if bad.any():
            raise DataValidationError(
                f"the {self.name} model's forecast for series {_some([i for i, b in zip(ids, bad) if b])} is not a finite "
                "number of views (the model diverged on this history); choose another model",
                param="model",
            )

    def _notes(self, panel: Panel, lags: np.ndarray, horizon: int) -> list[str]:
        notes = []
        if lags.max() > 0:
            late = [f"{uid} ({lag} days)" for uid, lag in zip(panel.ids, lags) if lag > 0]
            notes.append(
                "Series ending before the latest day were forecast through their missing days: "
                + ", ".join(late[:10])
                + (" ..." if len(late) > 10 else "")
            )
        calibration = self.calibration
        if calibration.backtest_horizon < horizon:
            notes.append(
                f"Intervals for days {calibration.backtest_horizon + 1}-{horizon} extrapolate the backtest's error "
                f"growth (h^{calibration.growth_b:.2f}); they are less certain than the first "
                f"{calibration.backtest_horizon} days."
            )
        if calibration.scores < 40:
            notes.append(
                f"Only {calibration.scores} backtest errors calibrate the intervals: the 95% band rests on the "
                "largest errors seen and may be too narrow; read it as a lower estimate of the risk."
            )
        return notes

    def predict(self, request: Any) -> dict[str, Any]:
        """Forecast new history of the fitted series (no refit; the fitted parameters apply).

        ``request`` is the history itself — a DataFrame or a list of records with ``unique_id,
        ds, y`` (or the study's columns) — or a mapping ``{"history": ..., "horizon": 30,
        "capacity": {...}}``. The answer (strict JSON-able) has the forecast with 80% and 95%
        intervals per series and day, the total of all series, and the capacity plan.
        """
        if isinstance(request, Mapping) and not isinstance(request, pd.DataFrame):
            parsed = ForecastRequest.parse(dict(request))
        else:
            parsed = ForecastRequest(history=request)
        views = load_views(_history_frame(parsed.history), gap_policy=self.config.fill_gaps, name="history")
        horizon = parsed.horizon or self.config.horizon
        outlook = self.outlook_for(views, horizon, parsed.capacity or self.config.capacity)
        return {
            "model": self.name,
            "by": self.by,
            "horizon": horizon,
            "series": list(self.series),
            "forecast": outlook.forecast.to_dict("records"),
            "total": outlook.total.to_dict("records"),
            "next_total": outlook.totals,
            "capacity_plan": outlook.capacity,
            "notes": views.notes + outlook.notes,
        }

    # --- description and persistence ------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """What the model forecasts and how well it did in its backtest."""
        chosen = self.backtest.get("models", {}).get(self.name, {})
        return {
            "kind": KIND,
            "model": self.name,
            "by": self.by,
            "series": len(self.series),
            "series_ids": self.series[:20],
            "default_horizon": self.config.horizon,
            "day_axis": self.axis.to_dict(),
            "backtest": {
                "windows": self.backtest.get("windows"),
                "window_days": self.backtest.get("window_days"),
                "selection": self.backtest.get("selection"),
                **{key: chosen.get(key) for key in ("mase", "smape", "coverage80", "coverage95")},
            },
            "capacity": self.config.capacity.model_dump(),
        }

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state, tensors = self.forecaster.state()
        config = {
            "model": self.name,
            "forecast_config": self.config.model_dump(),
            "series": list(self.series),
            "axis": self.axis.to_dict(),
            "calibration": self.calibration.to_dict(),
            "total_calibration": self.total_calibration.to_dict(),
            "backtest": self.backtest,
            "state": state,
        }
        return config, tensors

    @classmethod
    def from_state(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> ForecastModel:
        name = config.get("model")
        require(name in MODEL_NAMES, f"model {name!r} is not one of {', '.join(MODEL_NAMES)}")
        options = _saved_options(config.get("forecast_config"))
        require(options.model in ("auto", name), f"options ask for model {options.model!r} but the state holds {name!r}")
        series = config.get("series")
        require(
            isinstance(series, list) and 1 <= len(series) <= MAX_SERIES and all(isinstance(s, str) for s in series),
            "series ids must be a non-empty list of texts",
        )
        require(len(set(series)) == len(series), "series ids repeat")
        require(options.by != "total" or series == ["total"], f"a total forecast holds series {_some(series)}")
        backtest = config.get("backtest")
        require(isinstance(backtest, dict), "the backtest summary is missing")
        calibrations = (Calibration.from_dict(config.get("calibration")), Calibration.from_dict(config.get("total_calibration")))
        state = config.get("state")
        require(isinstance(state, dict), "the fitted state is missing")
        forecaster = model_class(name).from_state(state, tensors, len(series))
        model = cls(forecaster, calibrations, series, options, _saved_axis(config.get("axis")), backtest)
        model.restored = True
        return model

    def save(self, directory: str | os.PathLike[str], *, param: str | None = None) -> Path:
        """Save as a model folder (safetensors + JSON, checksummed, signed with ``VIEWCAST_MODEL_KEY``)."""
        from viewcast.io.registry import save

        chosen = self.backtest.get("models", {}).get(self.name, {})
        metrics = {"model": self.name, "by": self.by, "series": len(self.series)} | {
            f"backtest_{key}": chosen.get(key) for key in ("mase", "smape", "coverage80", "coverage95")
        }
        return save(self, directory, metrics=metrics, param=param)


def _saved_options(options: Any) -> ForecastConfig:
    """The fitted run's options; viewcast 0.1 kept the LSTM's seed and threads inside its recipe."""
    require(isinstance(options, dict), "the forecast options are missing")
    options = dict(options)
    if isinstance(options.get("lstm"), dict):
        options["lstm"] = {k: v for k, v in options["lstm"].items() if k not in ("seed", "threads")}
    try:
        return ForecastConfig.parse(options)
    except ViewcastError as exc:
        raise ModelLoadError(f"model state does not fit: saved forecast options are invalid ({exc})") from None


def _saved_axis(axis: Any) -> DayAxis:
    require(isinstance(axis, dict) and axis.get("kind") in ("index", "date"), "the day axis is missing or unknown")
    if axis["kind"] == "date":
        try:
            origin = pd.Timestamp(str(axis.get("origin"))).strftime("%Y-%m-%d")
        except (ValueError, TypeError):
            raise ModelLoadError(f"model state does not fit: day axis origin {axis.get('origin')!r} is not a date") from None
        return DayAxis("date", origin)
    return DayAxis("index")


def _history_frame(history: Any) -> pd.DataFrame:
    """A request's history as a table: a DataFrame as given, or a list of records."""
    if isinstance(history, pd.DataFrame):
        return history
    if not isinstance(history, list) or not history or not all(isinstance(row, Mapping) for row in history):
        raise DataValidationError("expected a non-empty list of records (objects with unique_id, ds, y)", param="history")
    return pd.DataFrame.from_records(history)


def _some(ids: list[str], limit: int = 5) -> str:
    """``['a', 'b', ...]``: the first few ids of a list, for messages."""
    return str(list(ids[:limit]))[:-1] + (", ...]" if len(ids) > limit else "]")
