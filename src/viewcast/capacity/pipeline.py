"""The capacity plan as a pure function: data + config -> :class:`CapacityResult`.

The views forecast runs as it always does (:func:`viewcast.forecasting.pipeline.run`: one fit,
forwarded to its backtest origins); its plan is the cost plan for the coming days, and its
backtest forecasts of the total are replayed as plans (:func:`~viewcast.capacity.backtest.plan_backtest`).
Nothing here prints or writes files.
"""

from __future__ import annotations

import time

from viewcast.capacity.backtest import plan_backtest
from viewcast.capacity.config import CapacityPlanConfig
from viewcast.capacity.result import CapacityResult
from viewcast.forecasting.panel import aggregate
from viewcast.forecasting.pipeline import Data, views_of
from viewcast.forecasting.pipeline import run as forecast


def run(data: Data, config: CapacityPlanConfig) -> CapacityResult:
    """Plan servers for ``config.horizon`` days and replay the plans of the backtest origins."""
    started = time.perf_counter()
    options = config.forecast_config()
    views = views_of(data, options)
    result = forecast(views, options)
    timings = {"forecast": time.perf_counter() - started}
    backtest = None
    if result.backtest_detail is not None:
        backtest = plan_backtest(result.backtest_detail, aggregate(views, options.by), views.axis, options.capacity)
    notes = list(result.notes)
    if backtest is None:
        notes.append(
            f"No plan backtest: the forecast's backtest has too few origins or windows of {result.backtest.get('window_days')} "
            f"days, no longer than the {config.lead_time_days}-day lead time."
        )
    timings["total"] = time.perf_counter() - started
    return CapacityResult(config=config, forecast=result, backtest=backtest, notes=notes, timings=timings, model=result.model)
