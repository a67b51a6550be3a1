"""The capacity plan as a cost decision, and what it would have cost.

``run(data, CapacityPlanConfig(...)) -> CapacityResult`` forecasts the total's daily views (the
views forecast, :mod:`viewcast.forecasting`), plans servers on its calibrated quantiles as a
newsvendor with a reserved baseline (:mod:`viewcast.forecasting.capacity`), and replays plans
made at the forecast's weekly backtest origins against the views that came: the cost plan, the
old 95%-bound-plus-headroom rule, planning on the point forecast, and the oracle with perfect
foresight (:mod:`viewcast.capacity.backtest`). ``viewcast.capacity(data, **options)`` from the
notebook. Names are imported lazily so that ``viewcast --help`` stays fast.

Capacity builds on the forecast: it imports :mod:`viewcast.forecasting` (never the other way).
Importing this package makes Python set ``viewcast.capacity`` to the package itself, replacing
the API function of the same name; so the package is callable and does what that function does.
"""

from __future__ import annotations

import sys

from viewcast.contracts import AnalysisPackage

EXPORTS = {
    "run": "viewcast.capacity.pipeline",
    "CapacityPlanConfig": "viewcast.capacity.config",
    "CapacityResult": "viewcast.capacity.result",
    "PlanBacktest": "viewcast.capacity.backtest",
    "plan_backtest": "viewcast.capacity.backtest",
}
__all__ = list(EXPORTS)


CONFIG = "CapacityPlanConfig"
sys.modules[__name__].__class__ = AnalysisPackage
