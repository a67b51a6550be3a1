"""Days the loader filled in (``--fill-gaps``) are fitted on but never scored: not in the weights,
not in the bands' errors, not in the error scale. A data outage must not read as forecast error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import viewcast
from viewcast.forecasting.data import load_views
from viewcast.forecasting.evaluation.origins import recent_scale
from viewcast.forecasting.panel import UNOBSERVED_SHARE, aggregate
from viewcast.forecasting.total import total_panel

DAYS = 300


def _panel_frame(gap: slice | None, creators: int = 6, seed: int = 1) -> pd.DataFrame:
    """Poisson views with a weekly profile; creators 0-2 lose the rows of ``gap`` (an outage)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=DAYS)
    weekly = 1 + 0.3 * np.sin(2 * np.pi * np.arange(DAYS) / 7)
    parts = []
    for k in range(creators):
        part = pd.DataFrame({"unique_id": f"c{k}", "ds": dates, "y": rng.poisson(500 * (k + 1) * weekly)})
        if gap is not None and k < 3:
            part = part.drop(part.index[gap])
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def test_a_creators_filled_days_are_unobserved_and_a_totals_only_when_they_weigh():
    frame = pd.DataFrame(
        {
            "unique_id": ["big"] * 10 + ["small"] * 9,
            "ds": list(range(1, 11)) + [1, 2, 3, 4, 6, 7, 8, 9, 10],
            "y": [1000] * 10 + [10, 10, 10, 10, 10, 10, 10, 10, 10],
        }
    )
    frame.loc[frame["unique_id"].eq("big") & frame["ds"].isin([7, 8]), "y"] = -1
    frame = frame[frame["y"] >= 0]  # big loses days 7 and 8, small day 5
    views = load_views(frame)
    creators = aggregate(views, "creator")
    hidden = dict(zip(creators.ids, creators.unobserved()))
    np.testing.assert_array_equal(np.flatnonzero(hidden["big"]), [6, 7])
    np.testing.assert_array_equal(np.flatnonzero(hidden["small"]), [4])
    total = aggregate(views, "total")
    # small's filled day is 1% of the total's views: observed; big's are 99%: not
    assert total.filled[0][4] == pytest.approx(10 / 1010) and total.filled[0][4] < UNOBSERVED_SHARE
    np.testing.assert_array_equal(np.flatnonzero(total.unobserved()[0]), [6, 7])
    np.testing.assert_allclose(total_panel(creators).filled[0], total.filled[0])  # the run's own total agrees
    assert aggregate(load_views(_panel_frame(None)), "creator").unobserved() is None


def test_the_error_scale_leaves_out_weekly_differences_that_touch_a_filled_day():
    values = np.tile([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0], 10)
    values[63] = 1000.0  # a filled-in day
    hidden = np.zeros(len(values), dtype=bool)
    hidden[63] = True
    # the 56 weekly differences before day 70: only y[63] - y[56] is not zero
    assert recent_scale(values, [70])[0] == pytest.approx(990 / 56)
    assert recent_scale(values, [70], hidden)[0] == pytest.approx(values[:70].mean())  # constant: the level
    values[64:70] += 7.0  # now six of the 55 observed differences are 7
    assert recent_scale(values, [70], hidden)[0] == pytest.approx(6 * 7 / 55)


def test_an_interpolated_outage_neither_widens_the_bands_nor_is_scored():
    outage = slice(DAYS - 70, DAYS - 55)  # 15 days, inside the backtest windows
    full, gapped = (viewcast.forecast(_panel_frame(gap), horizon=30, by="creator", progress=False) for gap in (None, outage))
    assert any("45 missing creator-day value(s) filled by 'interpolate'" in n for n in gapped.notes)

    def provision(result) -> pd.Series:
        sums = result.forecast.groupby("series")[["point", "hi95"]].sum()
        return sums["hi95"] / sums["point"]

    # scored on the fill, the outage widened the three creators' bands to 1.2-1.3 times the full
    # panel's (the other three's by up to 6% through the pooled errors); unscored, within 3%
    ratio = provision(gapped) / provision(full)
    assert ratio.between(0.97, 1.03).all(), ratio
    detail, plan = gapped.backtest_detail, gapped.backtest_detail.plan
    c0, c5 = detail.ids.index("c0"), detail.ids.index("c5")
    origins = {offset: k for k, offset in enumerate(plan.backtest)}
    # the origin 72 days back is scored on its window's days outside the outage (days 230-244)
    days = DAYS - 72 + np.arange(plan.window)
    in_outage = (days >= DAYS - 70) & (days < DAYS - 55)
    np.testing.assert_array_equal(np.isnan(detail.actual[c0, origins[72]]), in_outage)
    # an origin with filled days among the two weeks before it is not scored at all
    for offset in (44, 51, 58, 65):
        assert np.isnan(detail.actual[c0, origins[offset]]).all(), offset
    assert np.isfinite(detail.actual[c0, origins[37]]).all()
    assert np.isfinite(detail.actual[c5]).all()  # a creator with no gap is scored on every day


def test_frequent_gaps_keep_their_origins_and_a_fill_everywhere_is_scored_as_it_is():
    rng = np.random.default_rng(4)
    dates = pd.date_range("2024-01-01", periods=DAYS)
    views = rng.poisson(800 * (1 + 0.3 * np.sin(2 * np.pi * np.arange(DAYS) / 7)))
    frame = pd.DataFrame({"unique_id": "a", "ds": dates, "y": views})
    lost = np.sort(rng.choice(np.arange(1, DAYS - 1), size=DAYS // 5, replace=False))  # a fifth of the days, at random
    result = viewcast.forecast(frame.drop(frame.index[lost]), horizon=30, progress=False)
    detail = result.backtest_detail
    actual = detail.actual[0, : len(detail.plan.backtest)]
    # its last two weeks hold filled days too, so origins whose run-in does are like today's: all kept,
    # and only the filled days themselves go unscored
    assert np.isfinite(actual).any(axis=1).all()
    origin_days = DAYS - np.array(detail.plan.backtest)[:, None] + np.arange(detail.plan.window)
    np.testing.assert_array_equal(np.isnan(actual), np.isin(origin_days, lost))
    assert np.isfinite(result.forecast[["lo95", "hi95"]].to_numpy()).all()
    # filled from 160 days back to 15 days back: leaving out every origin would leave no error,
    # so the backtest scores the filled days as they are rather than fail
    stretch = frame.drop(frame.index[DAYS - 160 : DAYS - 15])
    result = viewcast.forecast(stretch, horizon=30, progress=False)
    assert np.isfinite(result.backtest_detail.actual).all()
    assert np.isfinite(result.forecast[["lo95", "hi95"]].to_numpy()).all()


def test_a_weekday_with_no_rows_for_eight_weeks_is_a_day_without_views_and_closed_ahead():
    rng = np.random.default_rng(5)
    dates = pd.date_range("2024-01-01", periods=DAYS)  # a Monday
    calls = pd.DataFrame({"unique_id": "calls", "ds": dates, "y": rng.poisson(800, DAYS)})
    calls = calls[(dates.dayofweek < 5) & (dates != pd.Timestamp("2024-07-04"))]  # weekends, and one holiday
    result = viewcast.forecast(calls, horizon=28, progress=False)
    assert any(
        "have no rows on some weekdays in each of their last 8 weeks: those days are read as days without views (0), "
        "not filled by 'interpolate': calls (Saturdays, Sundays)." in n
        for n in result.notes
    )
    assert any(n.startswith("1 missing creator-day value(s) filled by 'interpolate'") for n in result.notes)
    weekend = pd.to_datetime(result.forecast["date"]).dt.dayofweek >= 5
    assert (result.forecast.loc[weekend, ["point", "lo95", "hi95"]] == 0).all().all()
    assert (result.forecast.loc[~weekend, "point"] > 600).all()
    history = load_views(calls).frame
    assert (history.loc[history["t"] % 7 >= 5, "views"] == 0).all()  # day 0 is a Monday
    assert history["filled"].sum() == 1  # the holiday alone is estimated, and never scored
