"""The plan's decision rules on known demand distributions: the newsvendor's short-day rate is
1 - q*, the plan never costs more than the 95%-bound rule in expectation, and the reserved /
on-demand split is right on cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from viewcast.errors import ConfigError
from viewcast.forecasting.capacity import (
    GRID,
    Fleet,
    cost_plan,
    demand_samples,
    expected_outcome,
    newsvendor_servers,
    oracle_servers,
    planning_level,
    quantile_function,
    replay,
    reserved_for_demand,
    reserved_for_schedule,
    schedule_plan,
    servers_needed,
    with_reserved,
)
from viewcast.forecasting.config import CapacityConfig

#: One server serves 1,000 views a day: fleets of hundreds, so whole servers barely round.
UNIT = {"views_per_server_day": 1_000.0, "peak_factor": 1.0}


def normal_days(means: np.ndarray, sds: np.ndarray):
    """The quantile function of independent normal days (a known demand distribution)."""
    return lambda q: np.maximum(norm.ppf(q, loc=means, scale=sds), 0.0)


@pytest.mark.parametrize("price", [20.0, 100.0, 500.0])
def test_realised_short_day_rate_matches_one_minus_q_star(price):
    config = CapacityConfig(
        **UNIT, shortfall_cost_per_million_views=price * 1000, cost_per_server_day=48.0, reserved_cost_per_server_day=48.0
    )  # on-demand only: a reserved baseline above some days' plans would make them safer still
    level, _ = planning_level(config)
    c_short = price  # per server-day: price per thousand views x 1,000 views
    assert level == pytest.approx(c_short / (c_short + 48.0))
    rng = np.random.default_rng(1)
    days = 4000
    means = rng.uniform(200_000, 400_000, days)
    sds = means * rng.uniform(0.05, 0.15, days)
    quantiles = normal_days(means, sds)
    fleet = cost_plan(demand_samples(quantiles), quantiles(level), config)
    outcome = replay(fleet, rng.normal(means, sds), config)
    share = outcome["short_days"] / days
    tolerance = 3 * np.sqrt(level * (1 - level) / days) + 0.004  # binomial noise + whole servers
    assert abs(share - (1 - level)) < tolerance, (share, 1 - level)


COSTS = [
    {},
    {"shortfall_cost_per_million_views": 20_000.0},
    {"shortfall_cost_per_million_views": 60.0},
    {"reserved_cost_per_server_day": 10.0},
    {"reserved_cost_per_server_day": 48.0},
    {"shortfall_cost_per_day": 2_000.0, "shortfall_cost_per_million_views": 10.0},
    {"min_reserved_servers": 450},
    {"service_level": 0.975},
]


@pytest.mark.parametrize("costs", COSTS)
@pytest.mark.parametrize("rule_headroom", [0.0, 0.2])
def test_the_cost_plan_never_costs_more_than_the_rule_in_expectation(costs, rule_headroom):
    config = CapacityConfig(**UNIT, rule_headroom=rule_headroom, **costs)
    rng = np.random.default_rng(2)
    means = 300_000 + 100_000 * np.sin(np.arange(30) * 2 * np.pi / 7)
    quantiles = normal_days(means, means * rng.uniform(0.05, 0.2, 30))
    samples = demand_samples(quantiles)
    level, _ = planning_level(config)
    mine = expected_outcome(cost_plan(samples, quantiles(level), config), samples, config)["cost"].sum()
    rule = schedule_plan(servers_needed(quantiles(0.975), config, headroom=rule_headroom), config)
    theirs = expected_outcome(rule, samples, config)["cost"].sum()
    assert mine <= theirs * (1 + 1e-9), (mine, theirs)


def test_reserved_split_of_a_known_schedule_by_hand():
    config = CapacityConfig(**UNIT, cost_per_server_day=48.0, reserved_cost_per_server_day=30.0)
    week = np.array([10, 10, 12, 15, 20, 8, 9])
    # c_r / c_o = 0.625: a reserved server pays if used on at least 4.375 of 7 days -> the 5th largest, 10.
    assert reserved_for_schedule(week, config) == 10
    fleet = schedule_plan(week, config)
    assert fleet.reserved == 10 and fleet.servers.tolist() == [10, 10, 12, 15, 20, 10, 10]
    assert fleet.on_demand.tolist() == [0, 0, 2, 5, 10, 0, 0]
    assert fleet.server_cost(config).sum() == 10 * 7 * 30 + 17 * 48

    def cost(r: int) -> float:  # every reserved level, brute force: 10 is the cheapest
        return r * 7 * 30 + np.maximum(week - r, 0).sum() * 48

    assert min(range(25), key=cost) == 10
    assert reserved_for_schedule(week, config.model_copy(update={"reserved_cost_per_server_day": 48.0})) == 0
    assert reserved_for_schedule(week, config.model_copy(update={"reserved_cost_per_server_day": 0.0})) == 20


def test_reserved_level_for_uncertain_demand_is_the_cheapest_in_expectation():
    config = CapacityConfig(**UNIT, cost_per_server_day=48.0, reserved_cost_per_server_day=30.0)
    week = np.array([10, 10, 12, 15, 20, 8, 9])
    certain = np.repeat(week[:, None] * 1_000.0, len(GRID), axis=1)  # demand known: the schedule's split
    assert reserved_for_demand(certain, week, config) == 10
    rng = np.random.default_rng(3)
    samples = np.sort(rng.gamma(20, 500, (7, len(GRID))), axis=1) * week[:, None] / 10
    servers = servers_needed(samples[:, 180], config)

    def expected(r: int) -> float:
        return expected_outcome(with_reserved(servers, r, config), samples, config)["cost"].sum()

    best = reserved_for_demand(samples, servers, config)
    assert expected(best) == pytest.approx(min(expected(r) for r in range(0, 40)))
    assert reserved_for_demand(samples, servers, config.model_copy(update={"reserved_cost_per_server_day": 60.0})) == 0


def test_minimum_commitment_and_fleet_layout():
    config = CapacityConfig(**UNIT, min_reserved_servers=50)
    fleet = with_reserved(np.array([10, 80, 30]), 5, config)
    assert fleet.reserved == 50 and fleet.servers.tolist() == [50, 80, 50] and fleet.on_demand.tolist() == [0, 30, 0]


def test_planning_level_is_the_critical_fractile_clipped_or_fixed():
    config = CapacityConfig()  # 5M views a server-day, peak 2: a server serves 2.5M views
    level, basis = planning_level(config)
    assert level == pytest.approx(1250 / (1250 + 48)) and "newsvendor" in basis
    assert planning_level(config.model_copy(update={"shortfall_cost_per_million_views": 1e9}))[0] == 0.99
    assert planning_level(config.model_copy(update={"service_level": 0.9}))[0] == 0.9
    with pytest.raises(ConfigError, match="no cost of a shortfall") as caught:
        CapacityConfig.parse({"shortfall_cost_per_million_views": 0})
    assert caught.value.param == "service_level"


def test_replay_prices_servers_and_shortfall_by_hand():
    config = CapacityConfig(
        **UNIT, cost_per_server_day=50.0, reserved_cost_per_server_day=20.0, shortfall_cost_per_million_views=3000.0
    )
    config = config.model_copy(update={"shortfall_cost_per_day": 100.0})
    fleet = Fleet(2, np.array([2, 3, 5]))
    outcome = replay(fleet, np.array([1_500.0, 3_400.0, 5_000.0]), config)
    # servers: 3 x 2 reserved x 20 + (0 + 1 + 3) on-demand x 50 = 320; day 2 short by 400 views: 400 x 3000 / 1e6 + 100
    assert outcome["server_cost"] == 320 and outcome["short_days"] == 1 and outcome["unserved_views"] == 400
    assert outcome["shortfall_cost"] == pytest.approx(1.2 + 100) and outcome["cost"] == pytest.approx(421.2)


def test_oracle_buys_what_the_views_need_unless_running_short_is_cheaper():
    config = CapacityConfig(**UNIT, shortfall_cost_per_million_views=100_000.0)  # $100 per server-day short
    assert oracle_servers(np.array([2_500.0, 3_000.0, 0.0]), config).tolist() == [3, 3, 0]
    cheap = config.model_copy(update={"shortfall_cost_per_million_views": 10_000.0})  # $10 < $48: stay short
    assert oracle_servers(np.array([2_500.0]), cheap).tolist() == [0]


def test_a_penalty_per_short_day_minimises_expected_cost_over_whole_servers():
    config = CapacityConfig(**UNIT, shortfall_cost_per_million_views=0.0, shortfall_cost_per_day=500.0)
    quantiles = normal_days(np.array([100_000.0, 50_000.0]), np.array([10_000.0, 2_000.0]))
    samples = demand_samples(quantiles)
    chosen = newsvendor_servers(samples, quantiles(0.9), config)

    def expected(servers: int, day: int) -> float:
        return servers * 48 + 500 * np.mean(samples[day] > servers * 1_000)

    for day in range(2):
        best = min(range(0, 200), key=lambda n: (expected(n, day), n))
        assert expected(int(chosen[day]), day) == pytest.approx(expected(best, day))
    many = normal_days(np.linspace(50_000, 100_000, 70), np.full(70, 5_000.0))  # several chunks of days
    at_once = newsvendor_servers(demand_samples(many), many(0.9), config)
    alone = [newsvendor_servers(demand_samples(many)[d : d + 1], many(0.9)[d : d + 1], config)[0] for d in (0, 33, 69)]
    assert at_once[[0, 33, 69]].tolist() == alone


def test_older_models_quantiles_are_interpolated_between_their_bands():
    bands = {0.025: np.array([80.0]), 0.1: np.array([90.0]), 0.9: np.array([110.0]), 0.975: np.array([125.0])}

    def bounds(q: float) -> np.ndarray:
        if q not in bands:
            raise ConfigError("80% and 95% bands only", param="quantiles")
        return bands[q]

    quantiles = quantile_function(bounds, np.array([100.0]))
    assert quantiles(0.975)[0] == pytest.approx(125.0) and quantiles(0.5)[0] == pytest.approx(100.0)
    values = [quantiles(q)[0] for q in GRID]
    assert np.all(np.diff(values) >= 0) and values[-1] > 125.0 and values[0] < 80.0
    same = quantile_function(lambda q: np.array([q]), np.array([0.5]))
    assert same(0.3)[0] == 0.3  # a model that answers any quantile is used as it is
