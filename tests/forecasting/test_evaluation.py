"""Backtest origins, scales, combination weights and the conformal calibration (bands at any probability)."""

from __future__ import annotations

import numpy as np
import pytest

from viewcast.errors import DataValidationError, ModelLoadError
from viewcast.forecasting.evaluation.intervals import (
    NEIGHBOURHOOD,
    OWN_FLOOR,
    OWN_ORIGINS,
    SERIES_TAILS,
    TOTAL_TAILS,
    ConformalCalibration,
    conformal_order_statistic,
)
from viewcast.forecasting.evaluation.metrics import geometric_mean, relative_mae, seasonal_scale
from viewcast.forecasting.evaluation.origins import CALENDAR_OFFSETS, MIN_TRAIN, plan_origins, recent_scale, windows
from viewcast.forecasting.evaluation.weights import backtest_mae, combine, inverse_error_weights


# --- origins ----------------------------------------------------------------------------------------
def test_long_histories_get_twelve_weekly_origins_and_last_years_weeks():
    plan = plan_origins(np.array([760, 500, 100]), horizon=30, longest_lag=0, max_origins=12)
    assert (plan.window, plan.steps, plan.notes) == (30, 30, ())
    assert plan.backtest == tuple(30 + 7 * j for j in range(12)) and plan.calendar == CALENDAR_OFFSETS
    lengths = plan.prefix_lengths(np.array([760, 500, 100]))
    assert lengths[0].tolist() == [760 - d for d in plan.offsets]
    assert lengths[2, :12].tolist() == [100 - d if 100 - d >= MIN_TRAIN else 0 for d in plan.backtest]
    assert (lengths[2, 12:] == 0).all()  # too young for last year's weeks
    assert (lengths[1, 12:] > 0).all()  # 500 days >= a year and 90 days


def test_short_histories_get_shorter_windows_and_say_so():
    plan = plan_origins(np.array([50]), horizon=30, longest_lag=0, max_origins=12)
    assert plan.window == 50 - MIN_TRAIN - 14 and len(plan.backtest) == 3 and plan.calendar == ()
    assert plan.notes == ("History too short for 30-day backtest windows: 3 origin(s) of 22 days (longest series 50 days).",)
    plan = plan_origins(np.array([100, 80]), horizon=14, longest_lag=5, max_origins=4)
    assert (plan.window, plan.steps, len(plan.backtest)) == (19, 19, 4)  # the lag lengthens the window
    with pytest.raises(DataValidationError, match="the longest series has 10 days; a forecast needs at least 15") as caught:
        plan_origins(np.array([10]), horizon=7, longest_lag=0, max_origins=12)
    assert caught.value.param == "data"


def test_actual_windows_follow_the_prefixes():
    values = [np.arange(40.0), np.arange(20.0)]
    lengths = np.array([[30, 23], [15, 0]])
    out = windows(values, lengths, 5)
    np.testing.assert_array_equal(out[0, 0], np.arange(30.0, 35.0))
    np.testing.assert_array_equal(out[0, 1], np.arange(23.0, 28.0))
    np.testing.assert_array_equal(out[1, 0], np.arange(15.0, 20.0))
    assert np.isnan(out[1, 1]).all()


def test_recent_scale_reads_the_56_days_before_each_origin():
    y = np.r_[np.tile([10.0, 20.0], 50), np.tile([10.0, 50.0], 50)]  # |y - y[-7]| = 10, then 40 after the change
    assert recent_scale(y, [90])[0] == pytest.approx(10.0)
    assert recent_scale(y, [200])[0] == pytest.approx(40.0)
    assert recent_scale(np.full(30, 5.0), [30])[0] == 5.0  # constant: the level
    assert recent_scale(np.zeros(30), [30])[0] == 1.0  # never zero
    assert seasonal_scale(np.zeros(30)) == 1.0


def test_relative_mae_is_a_geometric_mean_of_ratios():
    assert relative_mae(np.array([1.0, 4.0]), np.array([2.0, 2.0])) == pytest.approx(1.0)
    assert geometric_mean(np.array([np.nan, 0.0, 4.0])) == pytest.approx(4.0)


# --- weights ------------------------------------------------------------------------------------------
def test_weights_favour_the_member_that_generated_the_data():
    rng = np.random.default_rng(0)
    truth = rng.normal(100, 10, (6, 12, 30))
    good = truth + rng.normal(0, 1, truth.shape)  # the generating member, small noise
    fair = truth + rng.normal(0, 3, truth.shape)
    bad = truth + 20
    forecasts = np.stack([bad, good, fair])
    mae = backtest_mae(truth, forecasts)
    weights = inverse_error_weights(mae)
    assert weights.shape == (6, 3) and np.allclose(weights.sum(axis=1), 1)
    assert (np.argmax(weights, axis=1) == 1).all() and (weights[:, 1] > 0.85).all() and (weights[:, 0] < 0.01).all()
    np.testing.assert_allclose(weights[:, 1] / weights[:, 2], (mae[:, 2] / mae[:, 1]) ** 2)  # inverse squared MAE


def test_series_without_backtest_take_the_panels_mean_weights():
    mae = np.array([[1.0, 2.0], [np.nan, np.nan]])
    weights = inverse_error_weights(mae)
    np.testing.assert_allclose(weights[1], weights[0])


def test_combination_renormalises_over_members_with_forecasts():
    weights = np.array([[0.5, 0.25, 0.25]])
    forecasts = np.array([[[10.0, 10.0]], [[20.0, np.nan]], [[40.0, 40.0]]])  # member 2 has no forecast on day 2
    np.testing.assert_allclose(combine(weights, forecasts), [[20.0, (0.5 * 10 + 0.25 * 40) / 0.75]])


def test_trimming_leaves_out_each_days_highest_and_lowest_member():
    weights = np.array([[0.1, 0.2, 0.3, 0.4]])
    # day 1: member 3 breaks high; day 2: member 0 breaks low; day 3: only three members have a forecast
    forecasts = np.array([[[10.0, -50.0, 10.0]], [[12.0, 12.0, 12.0]], [[14.0, 14.0, 14.0]], [[900.0, 16.0, np.nan]]])
    trimmed = combine(weights, forecasts, trim=1)
    np.testing.assert_allclose(trimmed, [[(0.2 * 12 + 0.3 * 14) / 0.5, (0.2 * 12 + 0.3 * 14) / 0.5, 12.0]])
    # two members: nothing is left out; trim 0 is the weighted mean
    np.testing.assert_allclose(combine(weights[:, :2], forecasts[:2], trim=1), combine(weights[:, :2], forecasts[:2]))
    np.testing.assert_allclose(combine(weights, forecasts)[0, 0], 0.1 * 10 + 0.2 * 12 + 0.3 * 14 + 0.4 * 900)
    # ties are left out by position, so equal forecasts give that forecast
    np.testing.assert_allclose(combine(weights, np.full((4, 1, 2), 7.0), trim=1), [[7.0, 7.0]])


# --- calibration ---------------------------------------------------------------------------------------
def _calibration(rng, rows=400, window=30, scale_growth=True, tails=SERIES_TAILS):
    growth = np.sqrt(np.arange(1, window + 1)) if scale_growth else np.ones(window)
    return ConformalCalibration(rng.standard_normal((rows, window)) * growth, np.empty((0, window)), tails), growth


def test_bands_cover_nominal_on_each_side_for_known_errors():
    rng = np.random.default_rng(1)
    calibration = ConformalCalibration(rng.standard_normal((2000, 30)), np.empty((0, 30)), ((0.1, 0.1), (0.025, 0.025)))
    fresh = rng.standard_normal((4000, 30))
    point = np.full((4000, 30), 1000.0)
    bands = calibration.bands(point, np.ones(4000))
    for band, tail in (("80", 0.1), ("95", 0.025)):
        lo, hi = bands[band]
        above, below = np.mean(1000 + fresh > hi), np.mean(1000 + fresh < lo)
        assert abs(above - tail) < 0.012 and abs(below - tail) < 0.012, (band, above, below)


def test_any_quantile_is_monotone_and_agrees_with_the_bands():
    rng = np.random.default_rng(2)
    calibration, _ = _calibration(rng)
    point = rng.uniform(100, 1000, (5, 40))  # 40 days: beyond the 30-day window too
    scale, offsets = rng.uniform(5, 50, 5), np.array([0, 0, 3, 0, 7])
    bands = calibration.bands(point, scale, offsets)
    for band, (low, high) in (("80", (0.1, 0.9)), ("95", (0.025, 0.975))):
        np.testing.assert_array_equal(calibration.quantiles(point, scale, low, offsets), bands[band][0])
        np.testing.assert_array_equal(calibration.quantiles(point, scale, high, offsets), bands[band][1])
    probabilities = [0.001, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.99, 0.999]
    stacked = np.stack([calibration.quantiles(point, scale, q, offsets) for q in probabilities])
    assert (np.diff(stacked, axis=0) >= 0).all()  # monotone in q
    assert (stacked[probabilities.index(0.5) + 1 :] >= point).all() and (stacked[: probabilities.index(0.5)] <= point).all()
    assert (stacked >= 0).all()
    upper = calibration.step_quantiles(calibration.conformal_probability(0.99), 40)
    assert (np.diff(upper) >= 0).all()  # widening with the horizon
    np.testing.assert_allclose(upper[30:], upper[29] * np.sqrt(np.arange(31, 41) / 30))  # beyond the window: sqrt growth
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        calibration.quantiles(point, scale, 1.0)


def test_each_step_reads_the_order_statistic_of_its_own_neighbourhood():
    """The recipe step by step (finite errors within +-NEIGHBOURHOOD steps, the conformal order
    statistic, clamped to 0 and widened with the horizon) against the quantiles read for all
    steps at once, NaNs and the window's edges included."""
    rng = np.random.default_rng(5)
    errors = rng.standard_t(3, (40, 30))
    errors[rng.random(errors.shape) < 0.15] = np.nan
    errors[:, 0] = np.nan  # a step left out everywhere: its neighbours calibrate it
    calibration = ConformalCalibration(errors, np.empty((0, 30)), SERIES_TAILS)
    for p in (0.01, 0.2, 0.5, 0.8, 0.985):
        raw = []
        for h in range(30):
            block = errors[:, max(0, h - NEIGHBOURHOOD) : h + NEIGHBOURHOOD + 1].ravel()
            raw.append(conformal_order_statistic(np.sort(block[np.isfinite(block)]), p))
        if p >= 0.5:
            expected = np.maximum.accumulate(np.maximum(raw, 0.0))
        else:
            expected = np.minimum.accumulate(np.minimum(raw, 0.0))
        np.testing.assert_array_equal(calibration.step_quantiles(p, 30), expected)


def test_nominal_levels_map_to_the_researched_conformal_levels():
    series = ConformalCalibration(np.zeros((1, 3)), np.empty((0, 3)), SERIES_TAILS)
    total = ConformalCalibration(np.zeros((1, 3)), np.empty((0, 3)), TOTAL_TAILS)
    assert series.conformal_probability(0.975) == pytest.approx(0.985)  # L = 0.97
    assert series.conformal_probability(0.1) == pytest.approx(0.075)  # L = 0.85
    assert total.conformal_probability(0.025) == pytest.approx(0.01)  # L = 0.98
    assert total.conformal_probability(0.9) == pytest.approx(0.95)  # L = 0.90
    assert series.conformal_probability(0.5) == pytest.approx(0.5)
    assert series.conformal_probability(0.995) == pytest.approx(1 - 0.005 * 0.6)  # the last ratio beyond the anchors
    assert conformal_order_statistic(np.arange(1.0, 200.0), 0.985) == 197.0  # ceil(200 * 0.985)


def test_calendar_errors_widen_each_side_where_they_are_wider():
    rng = np.random.default_rng(3)
    recent = rng.standard_normal((300, 10))
    holiday = rng.standard_normal((30, 10)) - 4  # last year's weeks fell far short
    plain = ConformalCalibration(recent, np.empty((0, 10)), SERIES_TAILS)
    seen = ConformalCalibration(recent, holiday, SERIES_TAILS)
    lo_plain, lo_seen = (c.step_quantiles(0.015, 10) for c in (plain, seen))
    hi_plain, hi_seen = (c.step_quantiles(0.985, 10) for c in (plain, seen))
    assert (lo_seen < lo_plain - 1).all()
    np.testing.assert_array_equal(hi_seen, hi_plain)  # the upper side is the recent one's


def test_a_holiday_last_year_widens_its_own_days_not_every_day_after():
    rng = np.random.default_rng(5)
    recent = rng.standard_normal((300, 30))
    holiday = rng.standard_normal((30, 30)) / 2  # last year's weeks were calmer...
    holiday[:, 5] += 6  # the day after a holiday last year: far more views than forecast
    plain = ConformalCalibration(recent, np.empty((0, 30)), SERIES_TAILS)
    seen = ConformalCalibration(recent, holiday, SERIES_TAILS)
    hi_plain, hi_seen = (c.step_quantiles(0.985, 40) for c in (plain, seen))
    near = np.arange(5 - NEIGHBOURHOOD, 5 + NEIGHBOURHOOD + 1)
    assert (hi_seen[near] > hi_plain[near] + 2).all()  # steps whose neighbourhood holds the day
    far = np.setdiff1d(np.arange(40), near)
    np.testing.assert_array_equal(hi_seen[far], hi_plain[far])  # the usual uncertainty elsewhere
    assert (np.diff(hi_plain) >= 0).all()  # which still widens with the horizon


def test_saved_calibration_round_trips_and_is_checked():
    rng = np.random.default_rng(4)
    calibration, _ = _calibration(rng, rows=50, window=7)
    config, tensors = calibration.state("c.")
    again = ConformalCalibration.from_state(config, tensors, "c.")
    point = np.full((1, 7), 100.0)
    np.testing.assert_array_equal(again.quantiles(point, [2.0], 0.99), calibration.quantiles(point, [2.0], 0.99))
    for change, message in (
        ({"window": 8}, "has shape"),
        ({"tails": [[0.025, 0.05]]}, "tail anchors"),
        ({"tails": [[0.025, 0.015], [0.1, 0.075]]}, "tail anchors"),
        ({"neighbourhood": -1}, "neighbourhood"),
    ):
        with pytest.raises(ModelLoadError, match=message):
            ConformalCalibration.from_state(config | change, tensors, "c.")
    broken = dict(tensors) | {"c.errors": np.full((50, 7), np.inf)}
    with pytest.raises(ModelLoadError, match="infinite values"):
        ConformalCalibration.from_state(config, broken, "c.")
    left_out = tensors["c.errors"].copy()
    left_out[:, :4] = np.nan  # steps 0-3 left out everywhere: nothing within 3 steps calibrates step 0
    with pytest.raises(ModelLoadError, match="a step with no backtest error around it"):
        ConformalCalibration.from_state(config, dict(tensors) | {"c.errors": left_out}, "c.")
    left_out[:, :3] = tensors["c.errors"][:, :3]  # one step left out (holidays' days): its neighbours calibrate it
    loaded = ConformalCalibration.from_state(config, dict(tensors) | {"c.errors": left_out}, "c.")
    assert np.isfinite(loaded.quantiles(point, [2.0], 0.99)).all()
    with pytest.raises(ModelLoadError, match="no backtest errors"):
        ConformalCalibration.from_state(config, dict(tensors) | {"c.errors": np.empty((0, 7))}, "c.")


# --- each series' own upper side --------------------------------------------------------------------
def _two_series(rng, calm_rows=15, window=30):
    """A calm series (0, errors of spread 0.3) and a spiky one (1, heavy-tailed), one row per origin."""
    calm = rng.standard_normal((calm_rows, window)) * 0.3
    spiky = rng.standard_t(1.5, (15, window))
    errors = np.concatenate([calm, spiky])
    series = np.repeat([0, 1], [calm_rows, 15])
    return errors, series


def test_a_calm_series_upper_side_reads_its_own_errors_and_the_lower_stays_pooled():
    rng = np.random.default_rng(21)
    errors, series = _two_series(rng)
    empty = np.empty((0, 30))
    pooled = ConformalCalibration(errors, empty, SERIES_TAILS)
    own = ConformalCalibration(errors, empty, SERIES_TAILS, series=series, calendar_series=np.empty(0, dtype=int))
    calm_alone = ConformalCalibration(errors[series == 0], empty, SERIES_TAILS)
    point, scale = np.full((2, 30), 100.0), np.array([10.0, 10.0])
    p = pooled.conformal_probability(0.975)
    expected = pooled.step_quantiles(p, 30) * np.clip(
        np.sqrt(calm_alone.step_quantiles(p, 30) / pooled.step_quantiles(p, 30)), OWN_FLOOR, 1.0
    )
    hi_own, hi_pooled = own.quantiles(point, scale, 0.975), pooled.quantiles(point, scale, 0.975)
    np.testing.assert_allclose(hi_own[0], 100 + 10 * expected)
    assert (hi_own[0] < hi_pooled[0] - 5).all()  # the calm series' band is far narrower...
    np.testing.assert_array_equal(hi_own[1], hi_pooled[1])  # ...the spiky one's never wider than pooled
    for q in (0.025, 0.1, 0.3):  # the lower side reads the pooled errors alone
        np.testing.assert_array_equal(own.quantiles(point, scale, q), pooled.quantiles(point, scale, q))
    probabilities = [0.5, 0.7, 0.9, 0.975, 0.99, 0.999]  # still monotone in q on the upper side
    assert (np.diff(np.stack([own.quantiles(point, scale, q) for q in probabilities]), axis=0) >= 0).all()


def test_own_errors_narrow_at_most_to_a_quarter_and_need_enough_origins():
    rng = np.random.default_rng(22)
    errors, series = _two_series(rng)
    errors[series == 0] = -np.abs(errors[series == 0])  # always over-forecast: its own upper quantile is 0
    empty, none = np.empty((0, 30)), np.empty(0, dtype=int)
    pooled = ConformalCalibration(errors, empty, SERIES_TAILS).step_quantiles(0.985, 30)
    own = ConformalCalibration(errors, empty, SERIES_TAILS, series=series, calendar_series=none)
    np.testing.assert_allclose(own.series_step_quantiles(0.985, 30, np.array([0]))[0], OWN_FLOOR * pooled)
    few, few_series = _two_series(rng, calm_rows=OWN_ORIGINS - 1)
    short = ConformalCalibration(few, empty, SERIES_TAILS, series=few_series, calendar_series=none)
    np.testing.assert_array_equal(own.own_series(), [True, True])  # what the report counts
    np.testing.assert_array_equal(short.own_series(), [False, True])
    np.testing.assert_array_equal(
        short.series_step_quantiles(0.985, 30, np.array([0]))[0],
        ConformalCalibration(few, empty, SERIES_TAILS).step_quantiles(0.985, 30),
    )
    with pytest.raises(ValueError, match="both the backtest and the calendar rows"):
        ConformalCalibration(errors, empty, SERIES_TAILS, series=series)


def test_saved_series_indices_round_trip_and_are_checked():
    rng = np.random.default_rng(23)
    errors, series = _two_series(rng, window=7)
    calendar, calendar_series = rng.standard_normal((4, 7)), np.array([0, 1, 0, 1])
    calibration = ConformalCalibration(errors, calendar, SERIES_TAILS, series=series, calendar_series=calendar_series)
    config, tensors = calibration.state("c.")
    again = ConformalCalibration.from_state(config, tensors, "c.")
    point = np.full((2, 7), 100.0)
    np.testing.assert_array_equal(again.quantiles(point, [2.0, 3.0], 0.99), calibration.quantiles(point, [2.0, 3.0], 0.99))
    older = {k: v for k, v in tensors.items() if "series" not in k}  # saved before series indices: pooled bands
    np.testing.assert_array_equal(
        ConformalCalibration.from_state(config, older, "c.").quantiles(point, [2.0, 3.0], 0.99),
        ConformalCalibration(errors, calendar, SERIES_TAILS).quantiles(point, [2.0, 3.0], 0.99),
    )
    for change, message in (
        ({"c.series": series[:-1]}, "has shape"),
        ({"c.series": series.astype(float)}, "whole numbers from 0"),
        ({"c.calendar_series": -calendar_series}, "whole numbers from 0"),
    ):
        with pytest.raises(ModelLoadError, match=message):
            ConformalCalibration.from_state(config, dict(tensors) | change, "c.")
    with pytest.raises(ModelLoadError, match="calendar_series' is missing"):
        ConformalCalibration.from_state(config, {k: v for k, v in tensors.items() if k != "c.calendar_series"}, "c.")
