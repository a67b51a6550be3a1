"""The plan backtest replays what each plan would have cost: weeks that tile the history at the
lead time, outcomes that add up, an oracle that is the cheapest, calibrations that leave out the
days they replay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from viewcast.capacity.backtest import PLANS, _calibration_rows
from viewcast.capacity.config import CapacityPlanConfig
from viewcast.capacity.pipeline import run
from viewcast.forecasting.capacity import served_views

from .conftest import OPTIONS


def test_replayed_weeks_tile_the_history_at_the_lead_time(result):
    backtest = result.backtest
    detail = result.forecast.backtest_detail
    assert backtest.origins == detail.backtest_origins == 12 and len(backtest.dates) == 12 * 7
    dates = pd.to_datetime(pd.Series(backtest.dates))
    assert (dates.diff().dropna() == pd.Timedelta(days=1)).all()  # consecutive, each day planned once
    last = pd.Timestamp(result.forecast.history["date"].max())
    oldest = max(detail.plan.backtest)
    # the oldest origin's last known day is `oldest` days before the end; it plans days L+1..L+7 after it
    assert dates.iloc[0] == last - pd.Timedelta(days=oldest) + pd.Timedelta(days=3 + 1)
    assert np.all(np.diff(backtest.origin[::7]) < 0)  # oldest origin (largest index) first


def test_outcomes_add_up_from_the_replayed_days(result):
    backtest, config = result.backtest, result.config.costs()
    capacity = served_views(1, config)
    summary = backtest.summary()
    for name in PLANS:
        outcome = summary["plans"][name]
        servers = backtest.servers[name]
        gap = backtest.actual - servers * capacity
        assert outcome["short_days"] == int(np.sum(gap > 0))
        assert outcome["unserved_views"] == pytest.approx(np.clip(gap, 0, None).sum())
        assert outcome["server_days"] == int(servers.sum())
        assert outcome["cost"] == pytest.approx(outcome["server_cost"] + outcome["shortfall_cost"])
        reserved = backtest.reserved[name]
        expected = (reserved * config.reserved_cost_per_server_day + (servers - reserved) * config.cost_per_server_day).sum()
        assert outcome["server_cost"] == pytest.approx(expected)
        assert np.all(servers >= reserved) and outcome["short_share"] == outcome["short_days"] / outcome["days"]
    oracle = summary["plans"]["oracle"]  # short only by less than a server, where that is cheaper than one
    assert oracle["unserved_views"] < oracle["short_days"] * capacity * 48 / 500 + 1e-6
    assert all(summary["plans"][n]["cost"] >= summary["plans"]["oracle"]["cost"] - 1e-6 for n in PLANS)


def test_the_cost_plan_on_a_known_distribution(result):
    summary = result.backtest.summary()
    mine, rule, point = (summary["plans"][n] for n in ("cost_plan", "hi95_rule", "point_plan"))
    assert summary["planning_quantile"] == pytest.approx(500 / (500 + 48))  # $100,000/M x 5,000 views a server
    assert mine["cost"] < rule["cost"] and mine["server_days"] < rule["server_days"]
    assert point["short_days"] > mine["short_days"]  # the point forecast runs short about half the days
    assert summary["checks"] == {
        "cost_plan_at_most_rule": True,
        "cost_plan_within_1_3_oracle": True,
        "short_share_within_target": True,
    }
    assert mine["expected"]["cost"] <= rule["expected"]["cost"]


def test_calibration_leaves_out_the_windows_that_share_days():
    offsets = (14, 21, 28, 35, 42, 49)
    usable = np.ones(6, dtype=bool)
    assert _calibration_rows(offsets, 0, usable, 14, 6) == [2, 3, 4, 5]
    assert _calibration_rows(offsets, 3, usable, 14, 6) == [0, 1, 5]
    assert _calibration_rows(offsets, 3, usable, 30, 6) == [0, 1, 2, 4, 5]  # too few apart: every other one


def test_no_backtest_when_the_lead_time_reaches_past_the_windows(panel):
    options = CapacityPlanConfig.parse(OPTIONS, horizon=7, lead_time_days=7)
    result = run(panel, options)
    assert result.backtest is None and any("No plan backtest" in note for note in result.notes)
    assert result.to_dict()["plan_backtest"] is None
