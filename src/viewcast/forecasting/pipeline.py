"""The views forecast as pure functions: data + config -> :class:`ForecastResult`.

:func:`run` validates the input, aggregates views per day, backtests the candidate models on the
same rolling origins, chooses one (the one-standard-error rule, or the model asked for), refits
it on the whole history, calibrates its intervals on its backtest errors and plans capacity on
the total's 95% bound. :func:`run_saved` forecasts with a loaded :class:`ForecastModel` instead:
no backtest, no training, the same numbers on the same data. Nothing here prints or writes files.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.data import ViewsData, load_views
from viewcast.forecasting.evaluation.backtest import BacktestResult, run_backtest
from viewcast.forecasting.evaluation.intervals import calibrate
from viewcast.forecasting.evaluation.selection import LARGE_PANEL, build, candidates, one_standard_error
from viewcast.forecasting.model import ForecastModel
from viewcast.forecasting.models.base import Forecaster
from viewcast.forecasting.panel import Panel, aggregate
from viewcast.forecasting.result import ForecastResult

Data = str | os.PathLike[str] | pd.DataFrame | ViewsData


def views_of(data: Data, config: ForecastConfig) -> ViewsData:
    """Validated views (a path or DataFrame is read and checked; gaps filled as ``config`` says)."""
    return data if isinstance(data, ViewsData) else load_views(data, gap_policy=config.fill_gaps)


def run(data: Data, config: ForecastConfig) -> ForecastResult:
    """Forecast daily views ``config.horizon`` days ahead, with intervals and a capacity plan."""
    started = time.perf_counter()
    views = views_of(data, config)
    panel = aggregate(views, config.by)
    timings = {"load": time.perf_counter() - started}
    _check_history(panel, config.horizon, views.source)
    shortest = int(panel.lengths.min())
    pool, notes = candidates(config, shortest, len(panel))
    notes = views.notes + notes

    tick = time.perf_counter()
    backtest = run_backtest(
        panel,
        pool,
        config.horizon,
        max_windows=config.backtest_windows,
        max_series=config.backtest_max_series,
        seed=config.seed,
        progress=config.progress,
    )
    timings["backtest"] = time.perf_counter() - tick
    notes += backtest.plan.notes
    chosen, reason = one_standard_error(backtest) if config.model == "auto" else (config.model, "requested")

    tick = time.perf_counter()
    forecaster = build(chosen, config, len(panel)).fit(panel)
    lstm, lstm_note = _lstm_for_table(forecaster, pool, panel, config)
    notes += [lstm_note] if lstm_note else []
    timings["final_fit"] = time.perf_counter() - tick

    calibrations = (
        calibrate(backtest.actual, backtest.models[chosen].forecast, backtest.scale),
        calibrate(*backtest.total_errors(chosen)),
    )
    summary = _backtest_summary(backtest, chosen) | {"selection": reason}
    model = ForecastModel(forecaster, calibrations, list(panel.ids), config, views.axis, summary)
    outlook = model.outlook(panel, views.axis, config.horizon, config.capacity)
    timings["total"] = time.perf_counter() - started
    return ForecastResult(
        config=config,
        chosen=chosen,
        selection=reason,
        forecast=outlook.forecast,
        history=outlook.history,
        total=outlook.total,
        backtest=summary,
        capacity=outlook.capacity,
        totals=outlook.totals,
        notes=notes + outlook.notes,
        timings=timings,
        source=views.source,
        axis=views.axis,
        model=model,
        lstm_table=lstm.train_test_table_ if lstm is not None else None,
        lstm_history=(lstm.history_.as_dict() | {"note": lstm.training_note_}) if lstm is not None else None,
        backtest_detail=backtest,
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
    return ForecastResult(
        config=options,
        chosen=model.name,
        selection=model.backtest.get("selection", "requested"),
        forecast=outlook.forecast,
        history=outlook.history,
        total=outlook.total,
        backtest=model.backtest,
        capacity=outlook.capacity,
        totals=outlook.totals,
        notes=views.notes + outlook.notes + [saved_note],
        timings={"total": time.perf_counter() - started},
        source=views.source,
        axis=views.axis,
        model=model,
        lstm_table=getattr(model.forecaster, "train_test_table_", None),
        loaded_from=str(where) if where else None,
    )


def _check_history(panel: Panel, horizon: int, source: str) -> None:
    """Refuse to forecast further ahead than the history reaches back, naming the short series."""
    shortest = int(panel.lengths.min())
    if shortest < horizon:
        short = [uid for uid, n in zip(panel.ids, panel.lengths) if n < horizon]
        raise DataValidationError(
            f"{source}: history too short for a {horizon}-day horizon: series {', '.join(map(repr, short[:5]))}"
            f"{' ...' if len(short) > 5 else ''} ha{'s' if len(short) == 1 else 've'} only {shortest} day(s); "
            "a forecast should not reach further ahead than the history reaches back (lower the horizon, or drop those series)",
            param="horizon",
        )


def _lstm_for_table(
    forecaster: Forecaster, pool: list[Forecaster], panel: Panel, config: ForecastConfig
) -> tuple[Any, str | None]:
    """The fitted LSTM behind the study's train/test table, when the LSTM took part.

    On large panels refitting it only for the table costs too much: its fit at the last backtest
    origin (on the sampled series) stands in, and a note says so.
    """
    if forecaster.name == "lstm":
        return forecaster, None
    backtested = next((f for f in pool if f.name == "lstm"), None)
    if backtested is None:
        return None, None
    if len(panel) <= LARGE_PANEL:
        return build("lstm", config, len(panel)).fit(panel), None
    return backtested, "LSTM train/test table from its fit at the last backtest origin (on the sampled series)."


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
