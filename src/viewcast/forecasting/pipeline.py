"""The views forecast as pure functions: data + config -> :class:`ForecastResult`.

:func:`run` validates the input, aggregates views per day and hands the panel to
:func:`~viewcast.forecasting.training.fit_forecast` (members, backtest, weights, calibration);
the fitted model then makes the outlook (forecast, bands, capacity plan). :func:`run_saved`
forecasts with a loaded :class:`ForecastModel` instead: no backtest, no training, the same
numbers on the same data. Nothing here prints or writes files.
"""

from __future__ import annotations

import os
import time

import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.data import ViewsData, load_views
from viewcast.forecasting.model import ForecastModel
from viewcast.forecasting.panel import aggregate
from viewcast.forecasting.result import ForecastResult
from viewcast.forecasting.training import fit_forecast

Data = str | os.PathLike[str] | pd.DataFrame | ViewsData


def views_of(data: Data, config: ForecastConfig) -> ViewsData:
    """Validated views (a path or DataFrame is read and checked; gaps filled as ``config`` says)."""
    return data if isinstance(data, ViewsData) else load_views(data, gap_policy=config.fill_gaps)


def run(data: Data, config: ForecastConfig) -> ForecastResult:
    """Forecast daily views ``config.horizon`` days ahead, with intervals and a capacity plan."""
    started = time.perf_counter()
    views = views_of(data, config)
    panel = aggregate(views, config.by)
    panel.check_reaches_back(config.horizon, views.source)
    timings = {"load": time.perf_counter() - started}
    fit = fit_forecast(panel, config)
    timings |= fit.timings
    summary = fit.backtest.summary() | {"selection": fit.selection}
    model = ForecastModel(fit.combination, list(panel.ids), config, views.axis, summary)
    outlook = model.outlook(panel, views.axis, config.horizon, config.capacity, member_forecasts=fit.final)
    lstm = fit.combination.global_members.get("lstm") or fit.study_lstm
    timings["total"] = time.perf_counter() - started
    return ForecastResult(
        config=config,
        chosen=model.name,
        selection=fit.selection,
        outlook=outlook,
        backtest=summary,
        notes=views.notes + fit.notes + outlook.notes,
        timings=timings,
        source=views.source,
        axis=views.axis,
        model=model,
        weights=fit.backtest.weights_table(),
        lstm_table=lstm.train_test_table_ if lstm is not None else None,
        lstm_history=(lstm.history_.as_dict() | {"note": lstm.training_note_}) if lstm is not None else None,
        backtest_detail=fit.backtest,
    )


def run_saved(model: ForecastModel, data: Data, config: ForecastConfig, source: str | None = None) -> ForecastResult:
    """Forecast with a saved model: no backtest, no training; the model's own options apply,
    except the horizon, the capacity assumptions and the gap filling, which are ``config``'s.

    ``config.by`` must be the model's (a per-creator model cannot forecast a total).
    """
    started = time.perf_counter()
    if config.by != model.by:
        raise DataValidationError(f"the model forecasts by {model.by}, but by {config.by} was asked", param="by")
    asked = {key: getattr(config, key) for key in ("horizon", "capacity", "fill_gaps", "progress")}
    options = model.config.model_copy(update=asked)
    views = views_of(data, options)
    outlook = model.outlook_for(views, options.horizon, options.capacity)
    where = source or getattr(model, "path_", None)
    saved_note = f"Forecast with the saved model{f' in {where}' if where else ''} (no retraining; intervals from its backtest)."
    lstm = getattr(model.engine, "global_members", {}).get("lstm")
    return ForecastResult(
        config=options,
        chosen=model.name,
        selection=model.backtest.get("selection", "requested"),
        outlook=outlook,
        backtest=model.backtest,
        notes=views.notes + outlook.notes + [saved_note],
        timings={"total": time.perf_counter() - started},
        source=views.source,
        axis=views.axis,
        model=model,
        lstm_table=lstm.train_test_table_ if lstm is not None else getattr(model.engine, "train_test_table_", None),
        loaded_from=str(where) if where else None,
    )
