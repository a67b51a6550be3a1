"""What a forecast run gives back: the forecast, how it was chosen, the capacity plan, the model."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from viewcast._version import __version__
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.data import DayAxis
from viewcast.forecasting.evaluation.backtest import BacktestResult
from viewcast.forecasting.model import ForecastModel
from viewcast.io.jsonable import to_jsonable
from viewcast.io.outputs import output_folder

OUTPUT_KIND = "forecast"


@dataclass
class ForecastResult:
    """Forecast, backtest, capacity plan and the fitted (or loaded) model of one run."""

    config: ForecastConfig
    chosen: str
    selection: str  # why ``chosen`` forecasts: the rule's sentence, or "requested"
    forecast: pd.DataFrame  # series, date, point, lo80, hi80, lo95, hi95
    history: pd.DataFrame  # series, date, views (the aggregated input)
    total: pd.DataFrame  # date, point, lo80, hi80, lo95, hi95 of all series together
    backtest: dict[str, Any]  # plan + per-model metrics
    capacity: dict[str, Any]
    totals: dict[str, float]
    notes: list[str]
    timings: dict[str, float]
    source: str
    axis: DayAxis
    model: ForecastModel
    lstm_table: dict[str, Any] | None = None
    lstm_history: dict[str, Any] | None = None
    loaded_from: str | None = None
    backtest_detail: BacktestResult | None = field(default=None, repr=False)  # raw windows, for the plots

    def to_dict(self) -> dict[str, Any]:
        """Everything ``metrics.json`` holds, as strict JSON-able data."""
        return to_jsonable(
            {
                "viewcast_version": __version__,
                "source": self.source,
                "chosen_model": self.chosen,
                "selection": self.selection,
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
        )

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write forecast.csv, metrics.json, the plots and report.html into ``directory``, whole."""
        from viewcast.forecasting.report import write_report

        with output_folder(directory, kind=OUTPUT_KIND) as out:
            write_report(self, out)
        return Path(directory)
