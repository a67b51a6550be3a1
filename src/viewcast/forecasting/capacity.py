"""Turn a views forecast into a fleet of servers as a cost decision.

Servers and views: ``n`` servers sustain ``n * views_per_server_day / peak_factor`` views a day
(one server handles ``views_per_server_day`` at an even rate, and the busiest hour runs
``peak_factor`` times the day's average), so a day of ``D`` views needs
``ceil(D * peak_factor * (1 + headroom) / views_per_server_day)`` servers; ``headroom`` is an
explicit extra (default 0: the planning quantile already prices the risk).

**Each day: the newsvendor.** An idle server-day costs ``c_o`` (the on-demand rate: the marginal
server is on-demand); a server-day of demand the fleet could not serve costs
``c_s = shortfall_cost_per_million_views * views_per_server_day / peak_factor / 1e6``. The fleet
that minimises the expected cost of the day is the ``q* = c_s / (c_s + c_o)`` quantile of the
day's views, read from the forecast's calibrated distribution of the *total* at that horizon
step (not the sum of per-series bounds). ``q*`` is clipped to [0.01, 0.99]: the total's
calibration rests on about a hundred errors per step, beyond 0.99 its quantile is the largest
error ever seen. ``service_level`` fixes the quantile instead. A penalty per short day
(``shortfall_cost_per_day``) has no critical fractile: then each day's fleet is the whole number
of servers that minimises the expected cost on the quantile grid below.

**Reserved below, on-demand above.** A reserved server costs ``c_r < c_o`` every day of the
commitment whether used or not. If on-demand servers could be bought as demand came, reserving the
``r``-th server would pay where P(demand reaches it) >= ``c_r / c_o``: a reserved level at the
``1 - c_r / c_o`` quantile. Here on-demand servers are ordered ``lead_time_days`` ahead like the
rest of the plan, so the reserved ``r``-th server replaces an on-demand one on the days the plan
reaches ``r`` and adds capacity (less shortfall) on the others. The commitment is one level for
the whole plan; it is the level of least *expected* cost given the day plans, found among the
levels the plans and the days' demand reach by zooming in on the bottom of the (convex) cost. For a known
schedule (the oracle, the old rule) this is the level the schedule reaches on at least a
``c_r / c_o`` share of the days (:func:`reserved_for_schedule`). The minimum over days of a per-day
quantile would under-reserve whenever weekdays differ (the quietest weekday would set it). The
level is at least ``min_reserved_servers``; the day's fleet is ``max(reserved, newsvendor
servers)`` and on-demand servers are the difference.

**Expected outcome.** The day's distribution is represented by its quantiles at the 200
mid-points ``(k + 0.5) / 200``: equally likely values, so the expected shortfall, the expected
cost and the probability of a short day are means over them.

**Lead time.** Servers arrive ``lead_time_days`` after they are ordered: the plan's first days
inside the lead time are listed (what the fleet should be) but flagged, since today's order
cannot change them.

Every figure of a plan is a finite, non-negative number (servers whole ones): views so large, or
servers so small, that a day would need more than :data:`MAX_SERVERS` servers are refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from viewcast.errors import ConfigError, LimitError
from viewcast.forecasting.config import CapacityConfig

#: Most servers a plan may hold on one day: far beyond any fleet, small enough that server-days
#: over the longest horizon stay exact integers.
MAX_SERVERS = 1e12
#: Planning quantiles are kept inside this range (see the module docstring).
MIN_LEVEL, MAX_LEVEL = 0.01, 0.99
#: Equally likely quantile levels that stand for a day's distribution.
GRID = (np.arange(200) + 0.5) / 200
#: Days whose candidate fleets are weighed at once under a penalty per short day.
CHUNK_DAYS = 32
#: Reserved levels tried first when choosing the commitment (then every level around the best).
COARSE_LEVELS = 40
#: Probabilities an older saved model's bands answer (its quantile function is interpolated between them).
ANCHORS = (0.025, 0.1, 0.9, 0.975)

#: q -> the total's bound at probability q for every day of the plan.
QuantileFunction = Callable[[float], np.ndarray]


# --- views and servers ---------------------------------------------------------------------------
def servers_needed(views: np.ndarray, config: CapacityConfig, headroom: float | None = None) -> np.ndarray:
    """Servers for daily views: ``ceil(views * peak_factor * (1 + headroom) / views_per_server_day)``."""
    extra = config.headroom if headroom is None else headroom
    load = np.asarray(views, dtype=float) * config.peak_factor * (1 + extra) / config.views_per_server_day
    if not np.all(np.isfinite(load) & (load >= 0)) or load.max(initial=0.0) > MAX_SERVERS:
        worst = float(np.nanmax(np.where(np.isfinite(load), load, np.inf), initial=0.0))
        raise LimitError(
            f"the plan would need {worst:.3g} servers on one day (more than {MAX_SERVERS:.0e}): the views forecast "
            f"({float(np.nanmax(views, initial=0.0)):.3g} a day) is out of proportion to "
            f"{config.views_per_server_day:g} views per server-day; check the data's units and this setting",
            param="capacity.views_per_server_day",
        )
    return np.ceil(np.round(load, 9)).astype(np.int64)  # rounding guards 2.0000000001 -> 3


def served_views(servers: np.ndarray | int, config: CapacityConfig) -> np.ndarray:
    """Views a day that ``servers`` sustain at the peak-hour rate."""
    return np.asarray(servers, dtype=float) * config.views_per_server_day / config.peak_factor


def shortfall_per_server_day(config: CapacityConfig) -> float:
    """What one server-day of unserved demand costs: the per-million price times a server's views."""
    return config.shortfall_cost_per_million_views * float(served_views(1, config)) / 1e6


def reserved_rate(config: CapacityConfig) -> float:
    """The reserved rate, or the on-demand rate when reserving is no cheaper (then nothing is reserved)."""
    return min(config.reserved_cost_per_server_day, config.cost_per_server_day)


def planning_level(config: CapacityConfig) -> tuple[float, str]:
    """The planning quantile ``q*`` and how it was chosen."""
    if config.service_level is not None:
        return config.service_level, "fixed service level"
    short, idle = shortfall_per_server_day(config), config.cost_per_server_day
    optimum = short / (short + idle) if short + idle > 0 else MAX_LEVEL
    level = float(np.clip(optimum, MIN_LEVEL, MAX_LEVEL))
    basis = "newsvendor optimum c_short / (c_short + c_idle)"
    if level != optimum:
        basis += f" ({optimum:.4f}, clipped to [{MIN_LEVEL}, {MAX_LEVEL}])"
    if config.shortfall_cost_per_day > 0:
        basis = "least expected cost per day (a penalty per short day has no critical fractile)"
    return level, basis


# --- distributions -------------------------------------------------------------------------------
def quantile_function(bounds: QuantileFunction, point: np.ndarray) -> QuantileFunction:
    """``bounds`` itself when it answers any probability; for an older saved model (80% and 95%
    bands only) a quantile function interpolated between its bands on the normal scale, the
    point forecast as median and the outer bands' spread continued beyond them."""
    try:
        bounds(GRID[0])
        return bounds
    except ConfigError:
        pass
    levels = np.array([ANCHORS[0], ANCHORS[1], 0.5, ANCHORS[2], ANCHORS[3]])
    values = np.stack([bounds(ANCHORS[0]), bounds(ANCHORS[1]), np.asarray(point, float), bounds(ANCHORS[2]), bounds(ANCHORS[3])])
    z = ndtri(levels)

    def interpolated(q: float) -> np.ndarray:
        zq = float(ndtri(q))
        k = int(np.clip(np.searchsorted(z, zq) - 1, 0, len(z) - 2))
        slope = (values[k + 1] - values[k]) / (z[k + 1] - z[k])
        return np.maximum(values[k] + slope * (zq - z[k]), 0.0)

    return interpolated


def demand_samples(quantiles: QuantileFunction) -> np.ndarray:
    """``(days, len(GRID))`` equally likely views per day: the quantiles at the grid's levels."""
    return np.stack([np.asarray(quantiles(float(q)), dtype=float) for q in GRID], axis=1)


# --- fleets --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fleet:
    """A plan's servers per day, ``reserved`` of them held all period and the rest on-demand."""

    reserved: int
    servers: np.ndarray  # (days,) whole servers, each at least ``reserved``

    @property
    def on_demand(self) -> np.ndarray:
        return self.servers - self.reserved

    def server_cost(self, config: CapacityConfig) -> np.ndarray:
        """Per day: the reserved fleet at the reserved rate, the rest on demand."""
        return self.reserved * reserved_rate(config) + self.on_demand * config.cost_per_server_day


def with_reserved(servers: np.ndarray, reserved: int, config: CapacityConfig) -> Fleet:
    """The fleet that holds ``reserved`` (at least the minimum commitment) and ``servers`` where more."""
    reserved = max(int(reserved), config.min_reserved_servers)
    return Fleet(reserved, np.maximum(np.asarray(servers, dtype=np.int64), reserved))


def reserved_for_demand(samples: np.ndarray, servers: np.ndarray, config: CapacityConfig) -> int:
    """The reserved level of least expected cost for day plans ``servers`` under uncertain demand
    (module docstring): among the levels the plans and the demand's server needs reach, zooming in
    on the cheapest until every level near it is tried (the cost is convex in the level when a
    shortfall is priced per view; a penalty per short day may leave it a near-optimal level)."""
    if reserved_rate(config) >= config.cost_per_server_day:
        return 0
    levels = np.unique(np.concatenate([[0], servers, servers_needed(samples, config).ravel()]))

    def cost(r: int) -> float:
        return float(expected_outcome(with_reserved(servers, int(r), config), samples, config)["cost"].sum()) + 1e-9 * r

    low, high = 0, len(levels) - 1
    while high - low > COARSE_LEVELS:  # zoom in on the bottom of a convex cost
        tried = np.unique(np.linspace(low, high, COARSE_LEVELS).astype(int))
        best = int(np.argmin([cost(levels[i]) for i in tried]))
        low, high = tried[max(best - 1, 0)], tried[min(best + 1, len(tried) - 1)]
    return int(min(levels[low : high + 1], key=cost))


def reserved_for_schedule(servers: np.ndarray, config: CapacityConfig) -> int:
    """Reserved servers for a known schedule: the level reached on at least a ``c_r / c_o`` share of
    the days (the ``ceil(share * days)``-th largest day), where reserving beats paying on demand."""
    servers = np.asarray(servers, dtype=np.int64)
    c_o, c_r = config.cost_per_server_day, reserved_rate(config)
    if c_r >= c_o or not len(servers):
        return 0
    rank = max(1, math.ceil(len(servers) * c_r / c_o - 1e-9))
    return int(np.partition(servers, len(servers) - rank)[len(servers) - rank])


def newsvendor_servers(samples: np.ndarray, at_level: np.ndarray, config: CapacityConfig) -> np.ndarray:
    """Servers per day at the planning quantile; with a penalty per short day, the whole number of
    servers of least expected cost (the candidates: every grid quantile's servers and ``at_level``'s)."""
    planned = servers_needed(at_level, config)
    if config.shortfall_cost_per_day == 0 or config.service_level is not None:
        return planned
    chosen = planned.copy()
    for start in range(0, len(planned), CHUNK_DAYS):  # (days, candidates, samples) arrays stay small
        days = slice(start, start + CHUNK_DAYS)
        part = samples[days]
        candidates = np.concatenate(
            [servers_needed(part, config), planned[days, None], np.zeros((len(part), 1), np.int64)], axis=1
        )
        unserved = np.clip(part[:, None, :] - served_views(candidates, config)[:, :, None], 0.0, None)
        cost = (
            candidates * config.cost_per_server_day
            + config.shortfall_cost_per_million_views * unserved.mean(axis=2) / 1e6
            + config.shortfall_cost_per_day * (unserved > 0).mean(axis=2)
        )
        best = np.argmin(cost + 1e-12 * candidates, axis=1)  # ties: the smaller fleet
        chosen[days] = candidates[np.arange(len(candidates)), best]
    return chosen


def oracle_servers(actual: np.ndarray, config: CapacityConfig) -> np.ndarray:
    """Servers per day with perfect foresight: of none, the whole servers just below the day's
    views and those just above, the cheapest at the on-demand rate (a shortfall priced below a
    server makes running short the oracle's choice too)."""
    need = servers_needed(actual, config, headroom=0.0)
    candidates = np.stack([np.zeros_like(need), np.maximum(need - 1, 0), need], axis=1)
    unserved = np.clip(np.asarray(actual, dtype=float)[:, None] - served_views(candidates, config), 0.0, None)
    cost = candidates * config.cost_per_server_day + shortfall_cost(unserved, unserved > 0, config)
    return candidates[np.arange(len(need)), np.argmin(cost + 1e-12 * candidates, axis=1)]


def cost_plan(samples: np.ndarray, at_level: np.ndarray, config: CapacityConfig) -> Fleet:
    """The cost plan: newsvendor servers per day over a reserved baseline held all period."""
    servers = newsvendor_servers(samples, at_level, config)
    return with_reserved(servers, reserved_for_demand(samples, servers, config), config)


def schedule_plan(servers: np.ndarray, config: CapacityConfig) -> Fleet:
    """A fixed schedule (the 95%-bound rule, the point forecast, the oracle) with its best reserved split."""
    return with_reserved(servers, reserved_for_schedule(servers, config), config)


# --- outcomes ------------------------------------------------------------------------------------
def shortfall_cost(unserved_views: np.ndarray, short: np.ndarray, config: CapacityConfig) -> np.ndarray:
    """Per day: unserved views at the per-million price plus the penalty for a short day."""
    return config.shortfall_cost_per_million_views * unserved_views / 1e6 + config.shortfall_cost_per_day * short


def expected_outcome(fleet: Fleet, samples: np.ndarray, config: CapacityConfig) -> dict[str, np.ndarray]:
    """Per day, under the forecast's distribution: expected cost, shortfall and chance of running short."""
    gap = samples - served_views(fleet.servers, config)[:, None]
    unserved = np.clip(gap, 0.0, None).mean(axis=1)
    p_short = (gap > 0).mean(axis=1)
    servers = fleet.server_cost(config)
    short = config.shortfall_cost_per_million_views * unserved / 1e6 + config.shortfall_cost_per_day * p_short
    return {"server_cost": servers, "shortfall_cost": short, "cost": servers + short, "unserved": unserved, "p_short": p_short}


def replay(fleet: Fleet, actual: np.ndarray, config: CapacityConfig) -> dict[str, float]:
    """What a plan would have cost against the views that came: servers, shortfall, short days."""
    gap = np.asarray(actual, dtype=float) - served_views(fleet.servers, config)
    unserved = np.clip(gap, 0.0, None)
    short = gap > 1e-9 * np.maximum(np.abs(np.asarray(actual, dtype=float)), 1.0)
    servers = float(fleet.server_cost(config).sum())
    penalty = float(shortfall_cost(unserved, short, config).sum())
    return {
        "cost": servers + penalty,
        "server_cost": servers,
        "shortfall_cost": penalty,
        "server_days": int(fleet.servers.sum()),
        "reserved_servers": fleet.reserved,
        "days": len(gap),
        "short_days": int(short.sum()),
        "unserved_views": float(unserved.sum()),
    }


# --- the forward plan ----------------------------------------------------------------------------
def plan_capacity(
    labels: list[str], quantiles: QuantileFunction, point: np.ndarray, config: CapacityConfig, label_prefix: str = ""
) -> dict:
    """The plan for the forecast's days: both fleets per day, expected cost and risk, a
    comparison with the 95%-bound rule, and a recommendation in money and risk.

    ``quantiles(q)`` is the total's bound at probability ``q`` per day (:func:`quantile_function`
    adapts older models); ``label_prefix`` turns a bare day number into "day 80" in sentences.
    """
    quantiles = quantile_function(quantiles, point)
    level, basis = planning_level(config)
    samples = demand_samples(quantiles)
    at_level = np.asarray(quantiles(level), dtype=float)
    hi95 = np.asarray(quantiles(0.975), dtype=float)
    fleet = cost_plan(samples, at_level, config)
    rule = schedule_plan(servers_needed(hi95, config, headroom=config.rule_headroom), config)
    mine, theirs = expected_outcome(fleet, samples, config), expected_outcome(rule, samples, config)
    days = len(labels)
    locked = np.arange(days) < config.lead_time_days
    peak_day = int(np.argmax(fleet.servers))
    daily = [
        {
            "date": labels[d],
            "point_views": float(point[d]),
            "planning_views": float(at_level[d]),
            "hi95_views": float(hi95[d]),
            "servers": int(fleet.servers[d]),
            "reserved": fleet.reserved,
            "on_demand": int(fleet.on_demand[d]),
            "expected_cost": float(mine["cost"][d]),
            "expected_unserved_views": float(mine["unserved"][d]),
            "short_probability": float(mine["p_short"][d]),
            "within_lead_time": bool(locked[d]),
        }
        for d in range(days)
    ]
    plan = {
        "assumptions": config.model_dump(),
        "planning_quantile": level,
        "quantile_basis": basis,
        "shortfall_cost_per_server_day": shortfall_per_server_day(config),
        "daily": daily,
        "reserved_servers": fleet.reserved,
        "peak_servers": int(fleet.servers[peak_day]),
        "peak_date": labels[peak_day],
        "peak_when": f"{label_prefix}{labels[peak_day]}",
        "server_days": int(fleet.servers.sum()),
        "on_demand_server_days": int(fleet.on_demand.sum()),
        "total_cost": float(mine["server_cost"].sum()),
        "flat_peak_cost": float(fleet.servers[peak_day] * days * config.cost_per_server_day),
        "expected_shortfall_cost": float(mine["shortfall_cost"].sum()),
        "expected_cost": float(mine["cost"].sum()),
        "expected_unserved_views": float(mine["unserved"].sum()),
        "expected_short_days": float(mine["p_short"].sum()),
        "short_day_probability": float(mine["p_short"].mean()),
        "lead_time_days": config.lead_time_days,
        "first_orderable": labels[config.lead_time_days] if config.lead_time_days < days else None,
        "rule": {
            "name": f"95% upper bound + {config.rule_headroom:.0%} headroom",
            "peak_servers": int(rule.servers.max()),
            "server_days": int(rule.servers.sum()),
            "expected_cost": float(theirs["cost"].sum()),
            "expected_short_days": float(theirs["p_short"].sum()),
        },
    }
    plan["recommendation"] = recommendation(plan, config, label_prefix)
    return plan


def recommendation(plan: dict, config: CapacityConfig, label_prefix: str = "") -> str:
    """The plan in money and risk, in a paragraph."""
    days, rule = len(plan["daily"]), plan["rule"]
    reserved, peak = plan["reserved_servers"], plan["peak_servers"]
    short_rate = plan["short_day_probability"]
    odds = f"about 1 day in {1 / short_rate:,.0f}" if short_rate > 0 else "no day"
    saving = rule["expected_cost"] - plan["expected_cost"]
    lead = (
        f" Servers take {config.lead_time_days} day{'s' if config.lead_time_days != 1 else ''} to arrive: the fleet up to "
        f"{label_prefix}{plan['daily'][min(config.lead_time_days, days) - 1]['date']} had to be ordered already; "
        "today's order covers the days after."
        if config.lead_time_days
        else ""
    )
    reserve = (
        f"Reserve {reserved:,} server{'s' if reserved != 1 else ''} for the next {days} days "
        f"(${reserved * reserved_rate(config) * days:,.0f}) and add"
        if reserved
        else "Reserve nothing and run"
    )
    return (
        f"{reserve} on-demand servers day by day up to a peak of {peak:,} "
        f"on {plan['peak_when']} ({plan['on_demand_server_days']:,} on-demand server-days, "
        f"${plan['on_demand_server_days'] * config.cost_per_server_day:,.0f}). Each day is planned at the "
        f"{plan['planning_quantile']:.3g} quantile of its views: running short costs "
        f"${plan['shortfall_cost_per_server_day']:,.0f} per missing server-day "
        f"(${config.shortfall_cost_per_million_views:,.0f} per million unserved views"
        f"{f' plus ${config.shortfall_cost_per_day:,.0f} per short day' if config.shortfall_cost_per_day else ''}) against "
        f"${config.cost_per_server_day:,.0f} for an idle on-demand server-day. Expected cost "
        f"${plan['expected_cost']:,.0f}, of which ${plan['expected_shortfall_cost']:,.0f} is expected shortfall; the fleet "
        f"falls short on {odds} ({plan['expected_short_days']:.1f} expected short days). The old rule ({rule['name']}) "
        f"would cost ${rule['expected_cost']:,.0f} in expectation, "
        f"{'$' + format(abs(saving), ',.0f') + (' more' if saving >= 0 else ' less')} than this plan.{lead}"
    )


def total_upper_bound(hi95: np.ndarray) -> float:
    """Upper bound of the horizon total: the sum of daily 95% bounds (conservative, see report)."""
    return float(math.fsum(np.asarray(hi95, dtype=float).ravel()))
