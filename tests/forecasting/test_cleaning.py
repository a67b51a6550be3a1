"""History cleaning: isolated outliers go, level shifts and everything else stay, and it only looks back."""

from __future__ import annotations

import numpy as np

from viewcast.forecasting.cleaning import MIN_DAYS, clean, weekday_baseline


def _weekly(days: int = 140, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    week = np.array([100.0, 120, 130, 125, 140, 80, 60])
    return np.tile(week, days // 7 + 1)[:days] + rng.normal(0, 3, days)


def test_spikes_and_dips_are_replaced_by_the_weekday_baseline():
    y = _weekly()
    dirty = y.copy()
    dirty[[60, 61]] *= 4.0  # a two-day viral spike
    dirty[100] *= 0.2  # an outage
    cleaned = clean(dirty)
    base = weekday_baseline(dirty)
    np.testing.assert_allclose(cleaned[[60, 61, 100]], base[[60, 61, 100]])
    assert np.all(np.abs(cleaned[[60, 61, 100]] - y[[60, 61, 100]]) < 15)  # back near the truth
    untouched = np.setdiff1d(np.arange(len(y)), [60, 61, 100])
    np.testing.assert_array_equal(cleaned[untouched], dirty[untouched])


def test_level_shifts_are_kept():
    y = _weekly()
    shifted = y.copy()
    shifted[90:] *= 2.5  # a lasting change: the models must follow it
    np.testing.assert_array_equal(clean(shifted), shifted)
    three_days = y.copy()
    three_days[70:73] *= 4.0  # three flagged days in a row count as a shift, not an outlier
    np.testing.assert_array_equal(clean(three_days), three_days)


def test_cleaning_is_causal_and_leaves_short_histories_alone():
    y = _weekly()
    y[120] *= 5
    prefix = clean(y[:110])
    np.testing.assert_array_equal(prefix, clean(y[:110].copy()))  # the spike after day 110 cannot matter
    np.testing.assert_array_equal(clean(y[: MIN_DAYS - 1]), y[: MIN_DAYS - 1])
    constant = np.full(80, 7.0)
    np.testing.assert_array_equal(clean(constant), constant)  # zero spread: nothing is an outlier
    assert np.isnan(weekday_baseline(y)[:28]).all() and np.isfinite(weekday_baseline(y)[28:]).all()
