"""What a forecast run gives back: the forecast, how it was made, the capacity plan, the model."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from viewcast._version import __version__
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.data import DayAxis
from viewcast.forecasting.model import ForecastModel, Outlook
from viewcast.io.jsonable import to_jsonable
from viewcast.io.outputs import output_folder

if TYPE_CHECKING:
    from viewcast.forecasting.backtest import Backtest

OUTPUT_KIND = "forecast"


@dataclass
class ForecastResult:
    """Forecast, backtest, capacity plan and the fitted (or loaded) model of one run."""

    config: ForecastConfig
    chosen: str  # "combination" (auto) or the one model that forecast
    selection: str  # why: the combination's sentence, or "requested"
    outlook: Outlook
    backtest: dict[str, Any]  # plan, members' and combination's backtest figures, per-series weights
    notes: list[str]
    timings: dict[str, float]
    source: str
    axis: DayAxis
    model: ForecastModel
    weights: pd.DataFrame | None = None  # one row per series: leader, weights, backtest MAEs
    lstm_table: dict[str, Any] | None = None
    lstm_history: dict[str, Any] | None = None
    loaded_from: str | None = None
    backtest_detail: Backtest | None = field(default=None, repr=False)  # raw windows, for the plots

    @property
    def forecast(self) -> pd.DataFrame:
        """series, date, point, lo80, hi80, lo95, hi95."""
        return self.outlook.forecast

    @property
    def history(self) -> pd.DataFrame:
        return self.outlook.history

    @property
    def total(self) -> pd.DataFrame:
        """date, point, lo80, hi80, lo95, hi95 of all series together."""
        return self.outlook.total

    @property
    def capacity(self) -> dict[str, Any]:
        return self.outlook.capacity

    @property
    def totals(self) -> dict[str, float]:
        return self.outlook.totals

    def quantiles(self, q: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Bounds at probability ``q`` per series and day, and for the total (see :meth:`Outlook.quantiles`)."""
        return self.outlook.quantiles(q)

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
        """Write forecast.csv, weights.csv, metrics.json, the plots and report.html into ``directory``, whole."""
        from viewcast.forecasting.report import write_report

        with output_folder(directory, kind=OUTPUT_KIND) as out:
            write_report(self, out)
        return Path(directory)
