"""Options are validated before any work (every number bounded and finite); capacity arithmetic
gives finite whole servers or a clear refusal."""

from __future__ import annotations

import numpy as np
import pytest

from viewcast.errors import ConfigError, LimitError
from viewcast.forecasting.capacity import MAX_SERVERS, plan_capacity, servers_needed
from viewcast.forecasting.config import CapacityConfig, ForecastConfig


def test_defaults_and_overrides():
    config = ForecastConfig.parse({"horizon": 14}, capacity={"headroom": 0.5})
    assert (config.horizon, config.model, config.by, config.seed) == (14, "auto", "total", 0)
    assert config.capacity.headroom == 0.5 and config.capacity.views_per_server_day == 5_000_000
    assert ForecastConfig.parse(config) is config


@pytest.mark.parametrize(
    ("options", "param", "message"),
    [
        ({"horizon": 0}, "horizon", "greater than or equal to 1"),
        ({"horizon": 731}, "horizon", "less than or equal to 730"),
        ({"model": "prophet"}, "model", "'auto', 'seasonal_naive'"),
        ({"model": "ensemble"}, "model", "'auto', 'seasonal_naive'"),
        ({"by": "week"}, "by", "'total', 'category' or 'creator'"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
        ({"threads": 0}, "threads", "greater than or equal to 1"),
        ({"backtest_windows": 53}, "backtest_windows", "less than or equal to 52"),
        ({"backtest_max_series": 5}, "backtest_max_series", "unknown option"),
        ({"capacity": {"cost_per_server_day": float("inf")}}, "capacity.cost_per_server_day", "finite number"),
        ({"capacity": {"cost_per_server_day": float("nan")}}, "capacity.cost_per_server_day", "finite number"),
        ({"capacity": {"views_per_server_day": 0.5}}, "capacity.views_per_server_day", "greater than or equal to 1"),
        ({"capacity": {"peak_factor": 0.5}}, "capacity.peak_factor", "greater than or equal to 1"),
        ({"capacity": {"headroom": -1}}, "capacity.headroom", "greater than or equal to 0"),
        ({"capacity": {"reserved_cost_per_server_day": float("inf")}}, "capacity.reserved_cost_per_server_day", "finite"),
        ({"capacity": {"shortfall_cost_per_million_views": -1}}, "capacity.shortfall_cost_per_million_views", "greater"),
        ({"capacity": {"lead_time_days": -1}}, "capacity.lead_time_days", "greater than or equal to 0"),
        ({"capacity": {"service_level": 1.0}}, "capacity.service_level", "less than 1"),
        ({"capacity": {"min_reserved_servers": 1.5}}, "capacity.min_reserved_servers", "integer"),
        ({"capacity": {"shortfall_cost_per_million_views": 0}}, "capacity.service_level", "no cost of a shortfall"),
        ({"lstm": {"learning_rate": float("inf")}}, "lstm.learning_rate", "finite number"),
        ({"lstm": {"dropout": 1.0}}, "lstm.dropout", "less than 1"),
        ({"lstm": {"seed": 3}}, "lstm.seed", "unknown option"),
        ({"horizont": 3}, "horizont", "unknown option"),
    ],
)
def test_bad_options_name_their_parameter(options, param, message):
    with pytest.raises(ConfigError, match=message) as caught:
        ForecastConfig.parse(options)
    assert caught.value.param == param and "http" not in caught.value.message


def test_capacity_arithmetic():
    config = CapacityConfig(
        views_per_server_day=1_000_000, peak_factor=2.0, headroom=0.25, cost_per_server_day=10, reserved_cost_per_server_day=10
    )
    # 1.2M views * 2 * 1.25 / 1M = 3.0 servers exactly; 1.21M -> 3.025 -> 4
    assert servers_needed(np.array([1_200_000, 1_210_000, 0]), config).tolist() == [3, 4, 0]
    views = np.array([1_200_000, 1_210_000, 400_000])
    plan = plan_capacity(["d1", "d2", "d3"], lambda q: views, np.array([1e6, 1e6, 3e5]), config)  # demand known
    assert (plan["peak_servers"], plan["peak_date"], plan["server_days"], plan["reserved_servers"]) == (4, "d2", 8, 0)
    assert plan["total_cost"] == 80 and plan["flat_peak_cost"] == 120 and plan["expected_cost"] == 80
    assert plan["expected_short_days"] == 0 and "peak of 4" in plan["recommendation"]
    assert [d["within_lead_time"] for d in plan["daily"]] == [True, False, False]  # 1-day lead time by default


def test_the_largest_plan_stays_exact_and_anything_larger_is_refused():
    config = CapacityConfig(views_per_server_day=1, peak_factor=1, headroom=0, rule_headroom=0, cost_per_server_day=1e9)
    days = np.full(730, MAX_SERVERS)
    plan = plan_capacity([str(d) for d in range(730)], lambda q: days, days, config)
    assert plan["server_days"] == 730 * 10**12 and np.isfinite(plan["total_cost"])
    assert all(isinstance(d["servers"], int) and d["servers"] >= 0 for d in plan["daily"])
    for views in (np.array([MAX_SERVERS * 2]), np.array([np.inf]), np.array([np.nan])):
        with pytest.raises(LimitError, match="would need") as caught:
            servers_needed(views, config)
        assert caught.value.param == "capacity.views_per_server_day"
