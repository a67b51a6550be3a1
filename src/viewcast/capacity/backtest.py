"""Replay capacity plans against the views that came: what each plan would have cost.

The views forecast already forecasts from weekly backtest origins (its members fitted once and
forwarded from each origin's history, :mod:`viewcast.forecasting.training`); those forecasts of
the total are the forecasts a planner would have had. At each origin ``o``:

* **Lead time.** Servers ordered at ``o`` arrive ``L = lead_time_days`` later, so the origin plans
  the week after: horizon steps ``L+1 .. L+7``. Origins are a week apart, so consecutive origins'
  weeks tile the replayed period and every day is planned once, from the forecast made ``L+1``
  to ``L+7`` days before it.
* **The day's distribution.** The total's quantiles at each step come from a conformal
  calibration of the total's scaled errors at the *other* origins whose windows share no day with
  this one (and last year's calendar origins), the way the forecast's own held-out check works:
  the replayed days never calibrate their own plan. On a day public holidays moved, they are the
  outer ones around the moved and the ordinary forecast, as the forecast's bands are; on the
  total's closed weekdays they are 0.
* **Four plans** for the week: the cost plan (newsvendor at ``q*`` over a reserved baseline,
  :func:`~viewcast.forecasting.capacity.cost_plan`); the old rule, servers on the 95% upper bound
  plus ``rule_headroom``; the point forecast; and the oracle, the cheapest servers for the views
  that came (:func:`~viewcast.forecasting.capacity.oracle_servers`). Each fixed schedule gets its best reserved split for that week (for the oracle, the
  cheapest fleet there is), so the plans differ in sizing, not in pricing.
* **Replay**: realised cost = reserved server-days at the reserved rate + on-demand server-days
  at the on-demand rate + shortfall (unserved views at the per-million price, a penalty per short
  day); days short; unserved views.

Honest limits: the forecast's members were fitted once on the whole history (forwarding reuses
their parameters), so the replayed forecasts are somewhat better than truly out-of-sample ones;
``benchmarks/capacity_bench.py`` also plans from real cut-offs with nothing after them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from viewcast.forecasting.backtest import Backtest, scaled_total_errors
from viewcast.forecasting.capacity import (
    Fleet,
    cost_plan,
    demand_samples,
    expected_outcome,
    oracle_servers,
    planning_level,
    replay,
    schedule_plan,
    servers_needed,
)
from viewcast.forecasting.config import CapacityConfig
from viewcast.forecasting.data import DayAxis
from viewcast.forecasting.evaluation.intervals import TOTAL_TAILS, ConformalCalibration
from viewcast.forecasting.panel import Panel

#: Days each origin plans (origins are a week apart).
BLOCK = 7
#: The plans replayed, in the order tables show them.
PLANS = ("cost_plan", "hi95_rule", "point_plan", "oracle")
#: Fewest other origins a calibration rests on before origins sharing days are let in.
MIN_CALIBRATION_ORIGINS = 2
#: Share of short days may exceed ``1 - q*`` by this much (the issue's tolerance).
SHORT_TOLERANCE = 0.02


@dataclass
class PlanBacktest:
    """Every replayed day (oldest first) and each plan's fleet and outcome on it."""

    level: float
    lead_time: int
    dates: list[str]
    actual: np.ndarray  # (days,) the total's views
    point: np.ndarray  # (days,) the forecast a planner had
    planning_views: np.ndarray  # (days,) the q* quantile
    origin: np.ndarray  # (days,) index of the origin that planned the day
    servers: dict[str, np.ndarray]  # plan -> (days,) servers
    reserved: dict[str, np.ndarray]  # plan -> (days,) reserved servers of the day's week
    outcomes: dict[str, dict[str, float]]  # plan -> replay totals
    expected: dict[str, dict[str, float]]  # cost plan and rule: expected cost and short days
    origins: int
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """What metrics.json and the report say: per plan the realised cost and risk, ratios to
        the oracle and to the old rule, and the short-day share against ``1 - q*``."""
        oracle, rule = self.outcomes["oracle"]["cost"], self.outcomes["hi95_rule"]["cost"]
        plans = {}
        for name in PLANS:
            outcome = dict(self.outcomes[name])
            outcome["short_share"] = outcome["short_days"] / outcome["days"] if outcome["days"] else None
            outcome["cost_to_oracle"] = outcome["cost"] / oracle if oracle > 0 else None
            outcome["cost_to_rule"] = outcome["cost"] / rule if rule > 0 else None
            if name in self.expected:
                outcome["expected"] = self.expected[name]
            plans[name] = outcome
        mine = plans["cost_plan"]
        allowed = 1.0 - self.level + SHORT_TOLERANCE
        return {
            "origins": self.origins,
            "days": len(self.dates),
            "first_day": self.dates[0] if self.dates else None,
            "last_day": self.dates[-1] if self.dates else None,
            "lead_time_days": self.lead_time,
            "planning_quantile": self.level,
            "target_short_share": 1.0 - self.level,
            "plans": plans,
            "checks": {
                "cost_plan_at_most_rule": mine["cost"] <= plans["hi95_rule"]["cost"] + 1e-9,
                "cost_plan_within_1_3_oracle": mine["cost_to_oracle"] is not None and mine["cost_to_oracle"] <= 1.3,
                "short_share_within_target": mine["short_share"] is not None and mine["short_share"] <= allowed + 1e-12,
            },
            "notes": self.notes,
        }

    def table(self) -> list[dict[str, Any]]:
        """One row per replayed day: views, forecast, and each plan's servers (reserved in brackets)."""
        rows = []
        for d, date in enumerate(self.dates):
            row = {"date": date, "actual_views": float(self.actual[d]), "point_views": float(self.point[d])}
            row["planning_views"] = float(self.planning_views[d])
            for name in PLANS:
                row[f"{name}_servers"] = int(self.servers[name][d])
                row[f"{name}_reserved"] = int(self.reserved[name][d])
            rows.append(row)
        return rows


def _calibration_rows(offsets: tuple[int, ...], k: int, usable: np.ndarray, window: int, backtest: int) -> list[int]:
    """Backtest origins that calibrate origin ``k``: the others sharing no day with its window,
    or (too few of those) every other one."""
    others = [j for j in range(backtest) if j != k and usable[j]]
    apart = [j for j in others if abs(offsets[j] - offsets[k]) >= window]
    return apart if len(apart) >= MIN_CALIBRATION_ORIGINS else others


def plan_backtest(detail: Backtest, panel: Panel, axis: DayAxis, config: CapacityConfig) -> PlanBacktest | None:
    """Replay the four plans at every backtest origin (module docstring); ``None`` with no room:
    a lead time at least the backtest window, or fewer than two origins."""
    plan, window = detail.plan, detail.plan.window
    lead = config.lead_time_days
    steps = np.arange(lead, min(lead + BLOCK, window))
    n_bt = len(plan.backtest)
    actual, forecast, usable = detail.total_windows
    ordinary = detail.total_ordinary
    if not len(steps) or n_bt < 2:
        return None
    opened = detail.total_open
    errors, scale = scaled_total_errors(panel, plan, detail.total_windows, ordinary, opened)
    moved = (forecast != ordinary).any(axis=1)
    calendar = errors[n_bt:][usable[n_bt:]]
    level, _ = planning_level(config)
    last_day = int(panel.ends().max())
    days: dict[str, list] = {key: [] for key in ("date", "actual", "point", "planning", "origin")}
    servers: dict[str, list] = {name: [] for name in PLANS}
    reserved: dict[str, list] = {name: [] for name in PLANS}
    fleets: dict[str, list[Fleet]] = {name: [] for name in PLANS}
    expected = {name: {"cost": 0.0, "short_days": 0.0} for name in ("cost_plan", "hi95_rule")}
    replayed = 0
    for k in sorted(range(n_bt), key=lambda j: -plan.offsets[j]):  # oldest origin first
        rows = _calibration_rows(plan.offsets, k, usable, window, n_bt)
        if not usable[k] or not rows:
            continue
        calibration = ConformalCalibration(errors[rows], calendar.reshape(-1, window), TOTAL_TAILS)

        def quantiles(q: float, k: int = k, calibration: ConformalCalibration = calibration) -> np.ndarray:
            plain = ordinary[k][None] if moved[k] else None
            return calibration.quantiles(forecast[k][None], scale[k : k + 1], q, None, plain, opened[k][None])[0][steps]

        samples = demand_samples(quantiles)
        at_level = quantiles(level)
        week = {
            "cost_plan": cost_plan(samples, at_level, config),
            "hi95_rule": schedule_plan(servers_needed(quantiles(0.975), config, headroom=config.rule_headroom), config),
            "point_plan": schedule_plan(servers_needed(forecast[k][steps], config), config),
            "oracle": schedule_plan(oracle_servers(actual[k][steps], config), config),
        }
        for name in expected:
            outcome = expected_outcome(week[name], samples, config)
            expected[name]["cost"] += float(outcome["cost"].sum())
            expected[name]["short_days"] += float(outcome["p_short"].sum())
        for name, fleet in week.items():
            fleets[name].append(fleet)
            servers[name].append(fleet.servers)
            reserved[name].append(np.full(len(steps), fleet.reserved))
        start = last_day + 1 - plan.offsets[k]
        days["date"] += axis.label_strings(start + steps)
        days["actual"].append(actual[k][steps])
        days["point"].append(forecast[k][steps])
        days["planning"].append(at_level)
        days["origin"].append(np.full(len(steps), k))
        replayed += 1
    if replayed < 2:
        return None
    outcomes = {name: _summed([replay(f, a, config) for f, a in zip(fleets[name], days["actual"])]) for name in PLANS}
    notes = []
    if len(steps) < BLOCK:
        notes.append(
            f"The forecast's backtest windows are {window} days: with a {lead}-day lead time each origin plans only "
            f"{len(steps)} day(s) of its week."
        )
    return PlanBacktest(
        level=level,
        lead_time=lead,
        dates=list(days["date"]),
        actual=np.concatenate(days["actual"]),
        point=np.concatenate(days["point"]),
        planning_views=np.concatenate(days["planning"]),
        origin=np.concatenate(days["origin"]),
        servers={name: np.concatenate(v) for name, v in servers.items()},
        reserved={name: np.concatenate(v) for name, v in reserved.items()},
        outcomes=outcomes,
        expected=expected,
        origins=replayed,
        notes=notes,
    )


def _summed(weeks: list[dict[str, float]]) -> dict[str, float]:
    """Replay totals over the weeks, with the reserved server-days of each week's commitment."""
    total = {key: sum(w[key] for w in weeks) for key in ("cost", "server_cost", "shortfall_cost", "days", "short_days")}
    total |= {"server_days": sum(w["server_days"] for w in weeks), "unserved_views": sum(w["unserved_views"] for w in weeks)}
    total["reserved_server_days"] = sum(w["reserved_servers"] * w["days"] for w in weeks)
    return total
