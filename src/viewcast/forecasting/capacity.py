"""Turn a views forecast into servers and cost.

Servers are planned on the 95% upper bound, not the point forecast: under-provisioning means an
outage, over-provisioning only money. A day's servers are

    ceil(hi95_views * peak_factor * (1 + headroom) / views_per_server_day)

where ``views_per_server_day`` is what one server sustains at an even rate over a day,
``peak_factor`` is the busiest hour's rate over the day's average rate, and ``headroom`` is the
spare fraction kept for failover and deploys. Defaults (:class:`CapacityConfig`) are stated,
not hidden; set them from your own load tests.

Every figure of a plan is a finite, non-negative number (servers and server-days whole ones):
views so large, or servers so small, that a day would need more than :data:`MAX_SERVERS`
servers are refused rather than turned into an overflowed integer.
"""

from __future__ import annotations

import math

import numpy as np

from viewcast.errors import LimitError
from viewcast.forecasting.config import CapacityConfig

#: Most servers a plan may hold on one day: far beyond any fleet, small enough that server-days
#: over the longest horizon stay exact integers.
MAX_SERVERS = 1e12


def servers_needed(views: np.ndarray, config: CapacityConfig) -> np.ndarray:
    """Servers per day for daily views (vectorised ceiling of the formula above)."""
    load = np.asarray(views, dtype=float) * config.peak_factor * (1 + config.headroom) / config.views_per_server_day
    if not np.all(np.isfinite(load) & (load >= 0)) or load.max(initial=0.0) > MAX_SERVERS:
        worst = float(np.nanmax(np.where(np.isfinite(load), load, np.inf), initial=0.0))
        raise LimitError(
            f"the plan would need {worst:.3g} servers on one day (more than {MAX_SERVERS:.0e}): the views forecast "
            f"({float(np.max(views, initial=0.0)):.3g} a day at its 95% bound) is out of proportion to "
            f"{config.views_per_server_day:g} views per server-day; check the data's units and this setting",
            param="capacity.views_per_server_day",
        )
    return np.ceil(np.round(load, 9)).astype(np.int64)  # rounding guards 2.0000000001 -> 3


def plan_capacity(labels: list[str], hi95: np.ndarray, point: np.ndarray, config: CapacityConfig, label_prefix: str = "") -> dict:
    """Daily servers on the 95% bound, the peak, the horizon's cost and a recommendation.

    ``label_prefix`` turns a bare day number into "day 80" in the sentences.
    """
    daily = servers_needed(hi95, config)
    on_point = servers_needed(point, config)
    peak_day = int(np.argmax(daily))
    peak = int(daily[peak_day])
    cost = float(daily.sum() * config.cost_per_server_day)
    flat_cost = float(peak * len(daily) * config.cost_per_server_day)
    recommendation = (
        f"Provision for a peak of {peak} server{'s' if peak != 1 else ''} (on {label_prefix}{labels[peak_day]}), planned on the 95% "
        f"upper bound of daily views with a peak-hour factor of {config.peak_factor:g} and {config.headroom:.0%} "
        f"headroom at {config.views_per_server_day:,.0f} views per server-day. Scaling day by day costs "
        f"${cost:,.0f} over the next {len(daily)} days; holding the peak fleet all period costs ${flat_cost:,.0f}. "
        f"Sizing on the point forecast instead would need at most {int(on_point.max())} servers but would run "
        "short on about half of the days; on the 95% bound the risk is about 1 day in 40."
    )
    return {
        "assumptions": config.model_dump(),
        "daily": [{"date": d, "hi95_views": float(v), "servers": int(s)} for d, v, s in zip(labels, hi95, daily)],
        "peak_servers": peak,
        "peak_date": labels[peak_day],
        "peak_when": f"{label_prefix}{labels[peak_day]}",
        "server_days": int(daily.sum()),
        "total_cost": cost,
        "flat_peak_cost": flat_cost,
        "recommendation": recommendation,
    }


def total_upper_bound(hi95: np.ndarray) -> float:
    """Upper bound of the horizon total: the sum of daily 95% bounds (conservative, see report)."""
    return float(math.fsum(np.asarray(hi95, dtype=float).ravel()))
