"""Capacity plans judged on what they would have cost (issue 10), on real panels' totals.

For every panel and cut-off date, ``viewcast.capacity(train, by="total")`` as a user runs it
(default costs and lead time), then two replays of four plans — the cost plan, the old rule (95%
upper bound + 20% headroom), the point forecast and the oracle with perfect foresight:

* ``backtest``: the run's own plan backtest (``metrics.json``'s ``plan_backtest``): twelve weekly
  plans made at the forecast's backtest origins, each for the week after the lead time, replayed;
* ``holdout``: the plan made at the cut-off for the next 30 days, replayed on the 30 held-out days
  after the lead time (nothing after the cut-off was seen: truly out of sample).

Realised cost = reserved server-days x reserved rate + on-demand server-days x on-demand rate +
unserved views x the shortfall price. Measured per panel: each plan's realised cost, ratios to the
oracle and to the old rule, short days, share of short days against ``1 - q*``. Targets (issue):
cost plan <= old rule, <= 1.3 x oracle, short-day share <= (1 - q*) + 2 points.

**Units.** These panels count riders, transactions, births and deaths, not views, and their
totals differ by orders of magnitude; so each panel's server is sized to its total
(``views_per_server_day`` = mean daily total of the training data x peak factor / 200, at least 1:
about 200 servers on an average day) and the shortfall price is set so that a server-day short costs what
it costs at the defaults ($500 per million views x 2.5M views a server = $1,250 against $48 for an
idle server-day: ``q* = 0.963``). A second setting with a cheaper shortfall ($200 per server-day
short, ``q* = 0.806``) checks that the plan follows the costs. Lead time: the default (1 day); a
third setting orders servers a week ahead.

**Totals** (25, every one 760 or 365 days of training and 30 held out), reported together and by
kind (``summary_by_kind``):

* ``panel_total`` (15), sums over many series as the issue checks them: the 21 Chicago 'L'
  stations at six 760-day and three one-year cut-offs, the forecast benchmark's assorted panels
  (14 and 16 slices of bitcoin, births and deaths) and its four real ragged panels, whose series
  start on different days (``benchmarks/forecast_panels.py``, ``PANEL_TOTALS``);
* ``single_series`` (10): US births and bitcoin transactions at four cut-offs, Puerto Rico deaths
  at two, each one noisy count with nothing to average its noise away.

Timing: the demo sample (10 creators x 50 days) and a generated 20-series x 760-day panel
(``by="creator"``), end to end.

Writes ``benchmarks/results/capacity.json``. Usage::

    python benchmarks/capacity_bench.py [--panels chi760,births] [--skip-timing] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

os.environ.setdefault("VIEWCAST_PROGRESS", "0")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import forecast_panels  # noqa: E402  (the same real series and panels, the same load reading)
import viewcast.capacity as capacity  # noqa: E402
from forecast_panels import data_dir, load  # noqa: E402
from viewcast.capacity.backtest import PLANS, SHORT_TOLERANCE  # noqa: E402
from viewcast.forecasting.capacity import (  # noqa: E402
    Fleet,
    oracle_servers,
    replay,
    schedule_plan,
    servers_needed,
)
from viewcast.io.jsonable import dumps  # noqa: E402
from viewcast.io.outputs import write_file  # noqa: E402
from viewcast.synth.series import count_panel  # noqa: E402

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "capacity.json"
HOLDOUT = 30
PEAK_FACTOR = 2.0
SERVERS_ON_AN_AVERAGE_DAY = 200
#: (name, cost of a server-day short, lead time or None for the default): the defaults' cost
#: ratio, a cheaper shortfall, and a week's lead time.
SETTINGS = (("default_costs", 1250.0, None), ("cheap_shortfall", 200.0, None), ("week_lead_time", 1250.0, 7))
CHICAGO = ("2008-01-06", "2010-07-25", "2012-11-30", "2014-01-03", "2015-06-30", "2016-08-28")
SINGLE = {
    "births": ("us_births", ("2005-07-31", "2008-04-30", "2010-12-31", "2013-06-30")),
    "bitcoin": ("bitcoin_tx", ("2015-12-31", "2017-03-31", "2018-08-31", "2019-12-31")),
    "deaths": ("pr_deaths", ("2017-02-28", "2018-04-15")),
}
#: The forecast benchmark's other real panels (one-year Chicago, the assorted slices, panels whose
#: creators joined on different days): their totals, summed over 21 or 14 series.
PANEL_TOTALS = (
    "chi365_2009-12-30",
    "chi365_2013-05-31",
    "chi365_2015-09-10",
    "assorted760",
    "assorted365",
    "chi760_2010-07-25_ragged",
    "chi760_2014-01-03_ragged",
    "chi760_2016-08-28_ragged",
    "assorted760_ragged",
)
SAMPLE = ROOT.parent / "src" / "viewcast" / "sample_data" / "influencers_sample.csv"


def _window(frame: pd.DataFrame, days: int, end: str) -> pd.DataFrame:
    last = pd.Timestamp(end)
    return frame[(frame["ds"] > last - pd.Timedelta(days=days)) & (frame["ds"] <= last)]


def panels(which: list[str]) -> dict[str, pd.DataFrame]:
    """Each panel's daily total over ``760 + HOLDOUT`` days ending at its cut-off plus the holdout."""
    out = {}
    chicago = pd.read_csv(data_dir() / "chicago_rail_entries.csv", parse_dates=["ds"])
    assorted = pd.read_csv(data_dir() / "assorted_daily.csv", parse_dates=["ds"])
    for end in CHICAGO:
        out[f"chicago_{end}"] = chicago.groupby("ds", as_index=False)["y"].sum().pipe(_window, 760, end)
    for name, (uid, ends) in SINGLE.items():
        for end in ends:
            out[f"{name}_{end}"] = _window(assorted[assorted["unique_id"] == uid][["ds", "y"]], 760, end)
    wanted = [name for name in PANEL_TOTALS if not which or any(name.startswith(w) for w in which)]
    for name, frame in forecast_panels.panels(wanted).items() if wanted else ():
        out[name] = frame.groupby("ds", as_index=False)["y"].sum()
    return {
        name: frame.reset_index(drop=True) for name, frame in out.items() if not which or any(name.startswith(w) for w in which)
    }


def kind(name: str) -> str:
    """``single_series`` (births, bitcoin, deaths: one noisy count) or ``panel_total`` (a sum of series)."""
    return "single_series" if name.split("_")[0] in SINGLE else "panel_total"


def options_for(train: pd.DataFrame, short_per_server_day: float, lead_time: int | None) -> dict:
    """Servers sized to the panel's total, a shortfall price worth ``short_per_server_day``, the lead time."""
    views_per_server_day = max(1.0, float(train["y"].mean()) * PEAK_FACTOR / SERVERS_ON_AN_AVERAGE_DAY)
    per_server = views_per_server_day / PEAK_FACTOR
    return {
        "views_per_server_day": views_per_server_day,
        "peak_factor": PEAK_FACTOR,
        "shortfall_cost_per_million_views": short_per_server_day * 1e6 / per_server,
        "horizon": HOLDOUT,
        "progress": False,
    } | ({} if lead_time is None else {"lead_time_days": lead_time})


def holdout_replay(result, actual: np.ndarray) -> dict:
    """The cut-off's plan (and the other three for the same days) on the held-out days after the lead time."""
    config = result.config.costs()
    daily = result.daily()
    keep = ~daily["within_lead_time"].to_numpy()
    actual = actual[keep]
    fleets = {
        "cost_plan": Fleet(int(result.plan["reserved_servers"]), daily["servers"].to_numpy()[keep]),
        "hi95_rule": schedule_plan(
            servers_needed(daily["hi95_views"].to_numpy()[keep], config, headroom=config.rule_headroom), config
        ),
        "point_plan": schedule_plan(servers_needed(daily["point_views"].to_numpy()[keep], config), config),
        "oracle": schedule_plan(oracle_servers(actual, config), config),
    }
    return describe({name: replay(fleet, actual, config) for name, fleet in fleets.items()}, result.plan["planning_quantile"])


def describe(outcomes: dict[str, dict], level: float) -> dict:
    """Costs, ratios, short shares and the issue's three checks for one replay."""
    oracle, rule = outcomes["oracle"]["cost"], outcomes["hi95_rule"]["cost"]
    plans = {}
    for name in PLANS:
        o = outcomes[name]
        plans[name] = {
            "cost": o["cost"],
            "server_cost": o["server_cost"],
            "shortfall_cost": o["shortfall_cost"],
            "short_days": o["short_days"],
            "days": o["days"],
            "short_share": o["short_days"] / o["days"],
            "cost_to_oracle": o["cost"] / oracle,
            "cost_to_rule": o["cost"] / rule,
        }
    mine = plans["cost_plan"]
    return {
        "planning_quantile": level,
        "target_short_share": 1 - level,
        "plans": plans,
        "checks": {
            "cost_plan_at_most_rule": mine["cost"] <= plans["hi95_rule"]["cost"] + 1e-9,
            "cost_plan_within_1_3_oracle": mine["cost_to_oracle"] <= 1.3,
            "short_share_within_target": mine["short_share"] <= 1 - level + SHORT_TOLERANCE + 1e-12,
        },
    }


def evaluate(name: str, frame: pd.DataFrame, short_per_server_day: float, lead_time: int | None) -> dict:
    train, test = frame.iloc[:-HOLDOUT], frame.iloc[-HOLDOUT:]
    started = time.perf_counter()
    history = pd.DataFrame({"unique_id": "total", "ds": train["ds"].dt.strftime("%Y-%m-%d"), "y": train["y"]})
    result = capacity(history, **options_for(train, short_per_server_day, lead_time))
    seconds = time.perf_counter() - started
    metrics = result.to_dict()["plan_backtest"]
    backtest = describe({n: metrics["plans"][n] for n in PLANS}, metrics["planning_quantile"])
    backtest["days"] = metrics["days"]
    row = {
        "panel": name,
        "kind": kind(name),
        "train_days": len(train),
        "cut_off": str(train["ds"].iloc[-1].date()),
        "seconds": seconds,
        "load": load(),
        "backtest": backtest,
        "holdout": holdout_replay(result, test["y"].to_numpy(float)),
        "reserved_servers": result.plan["reserved_servers"],
    }
    for part in ("backtest", "holdout"):
        p = row[part]["plans"]
        print(
            f"  {name:24s} {part:8s} q*={row[part]['planning_quantile']:.3f} cost/oracle {p['cost_plan']['cost_to_oracle']:.3f} "
            f"rule/oracle {p['hi95_rule']['cost_to_oracle']:.3f} point/oracle {p['point_plan']['cost_to_oracle']:.3f} "
            f"short {p['cost_plan']['short_share']:.3f} (target {row[part]['target_short_share']:.3f}) "
            f"{'OK' if all(row[part]['checks'].values()) else 'MISS ' + str(row[part]['checks'])}",
            flush=True,
        )
    return row


def summarise(rows: list[dict]) -> dict:
    """Per replay kind: how many panels meet each check, and the pooled short share and cost ratios."""
    out = {}
    for part in ("backtest", "holdout"):
        checks = [r[part]["checks"] for r in rows]
        plans = {n: [r[part]["plans"][n] for r in rows] for n in PLANS}
        short = sum(p["short_days"] for p in plans["cost_plan"])
        days = sum(p["days"] for p in plans["cost_plan"])
        out[part] = {
            "panels": len(rows),
            **{name: int(sum(c[name] for c in checks)) for name in checks[0]},
            "all_three": int(sum(all(c.values()) for c in checks)),
            "pooled_short_share": short / days,
            "target_short_share": rows[0][part]["target_short_share"],
            **{
                f"total_cost_{name}_to_oracle": sum(p["cost"] for p in plans[name]) / sum(p["cost"] for p in plans["oracle"])
                for name in PLANS
            },
            "worst_cost_plan_to_oracle": max(p["cost_to_oracle"] for p in plans["cost_plan"]),
            "worst_cost_plan_to_rule": max(p["cost_to_rule"] for p in plans["cost_plan"]),
        }
    return out


def timing() -> dict:
    """The demo sample and a generated 20 x 760 panel by creator, end to end with the plan backtest."""
    out = {}
    sample = pd.read_csv(SAMPLE)
    dates = pd.date_range("2024-01-01", periods=760).strftime("%Y-%m-%d")
    generated = pd.concat(
        [pd.DataFrame({"unique_id": uid, "ds": dates, "y": y}) for uid, y in count_panel(20, 760, seed=1).items()],
        ignore_index=True,
    )
    for name, frame, horizon in (("demo_10x50", sample, 14), ("generated_20x760", generated, 30)):
        before = load()
        started = time.perf_counter()
        result = capacity(frame, by="creator", horizon=horizon, progress=False)
        seconds = time.perf_counter() - started
        out[name] = {
            "seconds": seconds,
            "load_before": before,
            "backtest_days": len(result.backtest.dates) if result.backtest else 0,
        }
        print(f"{name}: {seconds:.1f} s (load {before:.1f})", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", default="", help="comma-separated panel name prefixes (default: all)")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    chosen = panels([p for p in args.panels.split(",") if p])
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_at_start": load()},
        "holdout_days": HOLDOUT,
        "servers_on_an_average_day": SERVERS_ON_AN_AVERAGE_DAY,
        "settings": {},
    }
    for setting, short, lead in SETTINGS:
        print(f"\n{setting}: a server-day short costs ${short:,.0f} (idle $48, reserved $30), lead time {lead}", flush=True)
        rows = [evaluate(name, frame, short, lead) for name, frame in chosen.items()]
        results["settings"][setting] = {
            "shortfall_per_server_day": short,
            "lead_time_days": lead if lead is not None else "default",
            "panels": rows,
            "summary": summarise(rows),
            "summary_by_kind": {k: summarise([r for r in rows if r["kind"] == k]) for k in sorted({r["kind"] for r in rows})},
        }
        for group, by_part in {
            "all": results["settings"][setting]["summary"],
            **results["settings"][setting]["summary_by_kind"],
        }.items():
            for part, summary in by_part.items():
                print(f"  {group} {part}: {summary}", flush=True)
    if not args.skip_timing:
        results["timing"] = timing()
    write_file(args.out, dumps(results, indent=1))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
