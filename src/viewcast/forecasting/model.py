"""The fitted views forecaster as a model kind: save it, load it, and forecast new history with it.

A :class:`ForecastModel` holds what a run fitted and measured: the fitted
:class:`~viewcast.forecasting.combination.Combination` (members, per-series weights, the series'
and the total's interval calibrations), the ids of the series it was fitted to, how they were
aggregated (``by``), the day axis and the backtest summary. The same :meth:`ForecastModel.outlook`
makes the forecast of a fresh run and of a model loaded years later, so both give the same
numbers on the same history; on new history the fitted members forecast forward (no refit) and
the bands scale with the new history's recent error level.

Loading validates everything before a forecast can use it (see ``Combination.from_state``).
Models saved by viewcast 0.1 and 0.2 load through :mod:`viewcast.forecasting.old`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from pydantic import Field

from viewcast.compute import BackendConfig
from viewcast.contracts import Config
from viewcast.errors import ConfigError, DataValidationError, ModelLoadError, ViewcastError
from viewcast.forecasting.capacity import plan_capacity, total_upper_bound
from viewcast.forecasting.combination import Combination
from viewcast.forecasting.config import MAX_HORIZON, CapacityConfig, ForecastConfig
from viewcast.forecasting.data import DayAxis, ViewsData, load_views
from viewcast.forecasting.evaluation.intervals import BANDS
from viewcast.forecasting.panel import Panel, aggregate
from viewcast.forecasting.young import young_note
from viewcast.io.persist import require

KIND = "forecast"
#: Most series a saved forecast model may hold.
MAX_SERIES = 1_000_000
#: Marks the config of a model saved by this version (older ones are read by forecasting.old).
FORMAT = "combination"


class Projected(Protocol):
    """Point forecasts and bounds at a probability, for the series and their total."""

    point: np.ndarray
    total_point: np.ndarray

    def bounds(self, q: float) -> tuple[np.ndarray, np.ndarray]: ...


class Engine(Protocol):
    """What forecasts inside a :class:`ForecastModel`: a combination, or an older model."""

    @property
    def name(self) -> str: ...

    def min_history(self) -> int: ...

    def project(self, panel: Panel, horizon: int, member_forecasts: np.ndarray | None = None) -> Projected: ...

    def interval_notes(self, steps: int) -> list[str]: ...

    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...


@dataclass
class Outlook:
    """What a fitted model says about the days ahead of a history."""

    forecast: pd.DataFrame  # series, date, point, lo80, hi80, lo95, hi95
    history: pd.DataFrame  # series, date, views: the aggregated history it continues
    total: pd.DataFrame  # date, point, lo80, hi80, lo95, hi95 of all series together
    capacity: dict[str, Any]
    totals: dict[str, float]
    projection: Projected
    labels: list[str]
    ids: list[str]
    notes: list[str] = field(default_factory=list)

    def quantiles(self, q: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The bound at probability ``q`` in (0, 1) per series and day, and for the total per day.

        ``q = 0.975`` is the 95% band's upper bound; a capacity decision at another service level
        (``q = 0.99``) reads the same calibration. Returns ``(series, date, point, bound)`` and
        ``(date, point, bound)`` tables.
        """
        series, total = self.projection.bounds(q)
        days = len(self.labels)
        return (
            pd.DataFrame(
                {
                    "series": np.repeat(np.array(self.ids, dtype=object), days),
                    "date": self.labels * len(self.ids),
                    "point": self.projection.point.ravel(),
                    "bound": series.ravel(),
                }
            ),
            pd.DataFrame({"date": self.labels, "point": self.projection.total_point, "bound": total}),
        )


class ForecastRequest(Config):
    """What :meth:`ForecastModel.predict` answers: new history, and optionally days and planning assumptions."""

    history: Any = Field(description="rows of unique_id, ds, y (or the study's Day, TikTokerID, Category, Views)")
    horizon: int | None = Field(None, ge=1, le=MAX_HORIZON, description="days ahead; default: the fitted run's horizon")
    capacity: CapacityConfig | None = Field(None, description="planning assumptions; default: the fitted run's")
    quantiles: list[float] = Field(
        default_factory=list, max_length=20, description="extra probabilities in (0, 1) to bound the total at (e.g. 0.99)"
    )


class ForecastModel:
    """A fitted forecaster with its intervals, series and options (kind ``"forecast"``)."""

    KIND = KIND

    def __init__(
        self, engine: Engine, series: list[str], config: ForecastConfig, axis: DayAxis, backtest: dict[str, Any]
    ) -> None:
        self.engine = engine
        self.series = list(series)
        self.config = config
        self.axis = axis
        self.backtest = backtest
        self.restored = False

    @property
    def name(self) -> str:
        """``"combination"`` for ``auto``, else the one model that forecasts (``"ets"``, ``"lstm"``...)."""
        return self.engine.name

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
        needed = self.engine.min_history()
        short = [uid for uid, n in zip(panel.ids, panel.lengths) if n < needed]
        if short:
            raise DataValidationError(
                f"{views.source}: the {self.name} model forecasts from the last {needed} days of every series; "
                f"series {_some(short)} have fewer"
            )
        panel.check_reaches_back(horizon, views.source)
        return self.outlook(panel, views.axis, horizon, capacity)

    def outlook(
        self, panel: Panel, axis: DayAxis, horizon: int, capacity: CapacityConfig, member_forecasts: np.ndarray | None = None
    ) -> Outlook:
        """Point forecast, bands, tables and the capacity plan for ``panel``.

        The capacity plan reads the total's own quantiles (any probability), calibrated on the
        backtest errors of the summed series: adding up every series' own bounds would assume all
        creators peak together and would make the plan depend on ``by``.
        """
        axis.check_reaches(int(panel.ends().max()) + horizon)
        projection = self._project(panel, horizon, member_forecasts)
        series_bounds, total_bounds = {}, {}
        for band, (low, high) in BANDS.items():
            for side, q in (("lo", low), ("hi", high)):
                series_bounds[f"{side}{band}"], total_bounds[f"{side}{band}"] = projection.bounds(q)
        self._require_finite(projection.point, *series_bounds.values(), ids=panel.ids)
        self._require_finite(projection.total_point[None], *(b[None] for b in total_bounds.values()), ids=["total"])
        labels = axis.label_strings(int(panel.ends().max()) + 1 + np.arange(horizon))
        forecast = pd.DataFrame(
            {
                "series": np.repeat(np.array(panel.ids, dtype=object), horizon),
                "date": labels * len(panel),
                "point": projection.point.ravel(),
                **{name: bound.ravel() for name, bound in series_bounds.items()},
            }
        )[["series", "date", "point", "lo80", "hi80", "lo95", "hi95"]]
        history = pd.DataFrame(
            {
                "series": np.repeat(np.array(panel.ids, dtype=object), panel.lengths),
                "date": np.concatenate([axis.label_strings(s + np.arange(len(v))) for s, v in zip(panel.starts, panel.values)]),
                "views": np.concatenate(panel.values),
            }
        )
        total = pd.DataFrame({"date": labels, "point": projection.total_point, **total_bounds})[
            ["date", "point", "lo80", "hi80", "lo95", "hi95"]
        ]
        plan = plan_capacity(labels, projection.total_bound, projection.total_point, capacity, label_prefix=axis.prefix)
        totals = {
            "days": horizon,
            "point": float(total["point"].sum()),
            "hi95": total_upper_bound(total["hi95"].to_numpy()),
            "lo95": float(total["lo95"].sum()),
        }
        notes = self._notes(panel, horizon)
        return Outlook(forecast, history, total, plan, totals, projection, labels, list(panel.ids), notes)

    def _project(self, panel: Panel, horizon: int, member_forecasts: np.ndarray | None) -> Projected:
        if not self.restored:
            return self.engine.project(panel, horizon, member_forecasts)
        try:  # a loaded state passed every check; whatever still fails is the state's fault, not a bug
            return self.engine.project(panel, horizon, member_forecasts)
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

    def _notes(self, panel: Panel, horizon: int) -> list[str]:
        notes = panel.notes() + young_note(panel)
        lags = panel.lags()
        if lags.max() > 0:
            late = [f"{uid} ({lag} days)" for uid, lag in zip(panel.ids, lags) if lag > 0]
            notes.append(
                "Series ending before the latest day were forecast through their missing days: "
                + ", ".join(late[:10])
                + (" ..." if len(late) > 10 else "")
            )
        notes += self.engine.interval_notes(horizon + int(lags.max()))
        return notes

    def predict(self, request: Any) -> dict[str, Any]:
        """Forecast new history of the fitted series (no refit; the fitted members apply).

        ``request`` is the history itself — a DataFrame or a list of records with ``unique_id,
        ds, y`` (or the study's columns) — or a mapping ``{"history": ..., "horizon": 30,
        "capacity": {...}, "quantiles": [0.99]}``. The answer (strict JSON-able) has the forecast
        with 80% and 95% intervals per series and day, the total of all series, the capacity
        plan, and the total's bound at each extra probability asked for.
        """
        if isinstance(request, Mapping) and not isinstance(request, pd.DataFrame):
            parsed = ForecastRequest.parse(dict(request))
        else:
            parsed = ForecastRequest(history=request)
        for q in parsed.quantiles:
            if not 0.0 < q < 1.0:
                raise ConfigError(f"quantile {q!r} is not a probability strictly between 0 and 1", param="quantiles")
        views = load_views(_history_frame(parsed.history), gap_policy=self.config.fill_gaps, name="history")
        horizon = parsed.horizon or self.config.horizon
        outlook = self.outlook_for(views, horizon, parsed.capacity or self.config.capacity)
        answer = {
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
        if parsed.quantiles:
            answer["total_quantiles"] = [{"q": q, "daily": outlook.quantiles(q)[1].to_dict("records")} for q in parsed.quantiles]
        return answer

    # --- description and persistence ------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """What the model forecasts and how well it did in its backtest."""
        backtest = self.backtest
        return {
            "kind": KIND,
            "model": self.name,
            "members": list(getattr(self.engine, "members", [self.name])),
            "by": self.by,
            "series": len(self.series),
            "series_ids": self.series[:20],
            "default_horizon": self.config.horizon,
            "day_axis": self.axis.to_dict(),
            "holidays": getattr(self.engine, "holidays", None),
            "backtest": {
                key: backtest.get(key) for key in ("origins", "window_days", "combination", "total", "leaders") if key in backtest
            },
            "capacity": self.config.capacity.model_dump(),
        }

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        if not isinstance(self.engine, Combination):
            return self.engine.state()  # a model of an older viewcast is saved as it was read
        engine, tensors = self.engine.state()
        config = {
            "format": FORMAT,
            "model": self.name,
            # where the fit ran (a scheduler's address) is not part of the model
            "forecast_config": self.config.model_dump(exclude=set(BackendConfig.model_fields)),
            "series": list(self.series),
            "axis": self.axis.to_dict(),
            "backtest": self.backtest,
            "engine": engine,
        }
        return config, tensors

    @classmethod
    def from_state(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> ForecastModel:
        if config.get("format") != FORMAT:
            from viewcast.forecasting.old import read_old_model

            engine, options, backtest = read_old_model(config, tensors)
        else:
            options = _saved_options(config.get("forecast_config"))
            backtest = config.get("backtest")
            engine = None
        series = config.get("series")
        require(
            isinstance(series, list) and 1 <= len(series) <= MAX_SERIES and all(isinstance(s, str) for s in series),
            "series ids must be a non-empty list of texts",
        )
        require(len(set(series)) == len(series), "series ids repeat")
        require(options.by != "total" or series == ["total"], f"a total forecast holds series {_some(series)}")
        require(isinstance(backtest, dict), "the backtest summary is missing")
        if engine is None:
            require(isinstance(config.get("engine"), dict), "the fitted combination is missing")
            engine = Combination.from_state(config["engine"], tensors, len(series))
            require(
                config.get("model") == engine.name,
                f"the model is named {config.get('model')!r} but its members make {engine.name!r}",
            )
            require(
                options.model in ("auto", engine.name),
                f"options ask for model {options.model!r} but the state holds {engine.name!r}",
            )
        model = cls(engine, series, options, saved_axis(config.get("axis")), backtest)
        model.restored = True
        return model

    def save(self, directory: str | os.PathLike[str], *, param: str | None = None) -> Path:
        """Save as a model folder (safetensors + JSON, checksummed, signed with ``VIEWCAST_MODEL_KEY``)."""
        from viewcast.io.registry import save

        combination = self.backtest.get("combination", {})
        metrics = {"model": self.name, "by": self.by, "series": len(self.series)} | {
            f"backtest_{key}": combination.get(key) for key in ("relative_mae", "above_95", "below_95")
        }
        return save(self, directory, metrics=metrics, param=param)


def _saved_options(options: Any) -> ForecastConfig:
    require(isinstance(options, dict), "the forecast options are missing")
    try:
        return ForecastConfig.parse(options)
    except ViewcastError as exc:
        raise ModelLoadError(f"model state does not fit: saved forecast options are invalid ({exc})") from None


def saved_axis(axis: Any) -> DayAxis:
    """The saved day axis, refused unless it is day numbers or dates from a valid origin."""
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
