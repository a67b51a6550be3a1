"""What a capacity run gives back: the plan for the coming days and what plans would have cost."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from viewcast._version import __version__
from viewcast.capacity.backtest import PlanBacktest
from viewcast.capacity.config import CapacityPlanConfig
from viewcast.forecasting.model import ForecastModel
from viewcast.forecasting.result import ForecastResult
from viewcast.io.jsonable import to_jsonable
from viewcast.io.outputs import output_folder

OUTPUT_KIND = "capacity"


@dataclass
class CapacityResult:
    """The cost plan, its replay beside the old rule, the point forecast and the oracle, and the
    forecast (with its fitted model) it rests on."""

    config: CapacityPlanConfig
    forecast: ForecastResult
    backtest: PlanBacktest | None
    notes: list[str]
    timings: dict[str, float]
    model: ForecastModel

    @property
    def plan(self) -> dict[str, Any]:
        """The plan for the coming days (``daily`` rows: servers, reserved, on-demand, risk)."""
        return self.forecast.capacity

    def daily(self) -> pd.DataFrame:
        """The plan's days as a table."""
        return pd.DataFrame(self.plan["daily"])

    def backtest_table(self) -> pd.DataFrame:
        """Every replayed day: views, forecast, each plan's servers (empty without a backtest)."""
        return pd.DataFrame(self.backtest.table() if self.backtest is not None else [])

    def to_dict(self) -> dict[str, Any]:
        """Everything ``metrics.json`` holds, as strict JSON-able data."""
        return to_jsonable(
            {
                "viewcast_version": __version__,
                "source": self.forecast.source,
                "horizon": self.config.horizon,
                "by": self.config.by,
                "forecast_model": self.forecast.chosen,
                "next_total": self.forecast.totals,
                "plan": self.plan,
                "plan_backtest": self.backtest.summary() if self.backtest is not None else None,
                "forecast_backtest_total": self.forecast.backtest.get("total"),
                "notes": self.notes,
                "timings_seconds": self.timings,
                "config": self.config.model_dump(),
            }
        )

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write plan.csv, plan_backtest.csv, metrics.json, the plots and report.html into ``directory``, whole."""
        from viewcast.capacity.report import write_report

        with output_folder(directory, kind=OUTPUT_KIND) as out:
            write_report(self, out)
        return Path(directory)
