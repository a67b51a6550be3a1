"""Closed weekdays: a day with no views in each of the last eight weeks is forecast as 0, with no band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import viewcast
from viewcast.errors import ModelLoadError
from viewcast.forecasting.closed_days import CLOSED_WEEKS, open_days
from viewcast.forecasting.config import SEASON

START = "2021-01-04"  # a Monday
SATURDAY = 5


def _history(weeks: int, closed_weeks: int, seed: int = 0) -> np.ndarray:
    """Poisson days from a Monday, the last ``closed_weeks`` Saturdays zero."""
    values = np.random.default_rng(seed).poisson(200.0, weeks * SEASON).astype(float)
    saturdays = np.arange(SATURDAY, len(values), SEASON)
    values[saturdays[len(saturdays) - closed_weeks :]] = 0.0
    return values


def test_a_weekday_zero_in_each_of_the_last_eight_weeks_is_closed_ahead():
    history = _history(weeks=20, closed_weeks=CLOSED_WEEKS)
    opened = open_days(history, 30)  # the history ends on a Sunday: day 0 ahead is a Monday
    assert list(np.flatnonzero(~opened)) == [SATURDAY, SATURDAY + 7, SATURDAY + 14, SATURDAY + 21]


@pytest.mark.parametrize(
    "history",
    [
        _history(weeks=20, closed_weeks=CLOSED_WEEKS - 1),  # one of the eight Saturdays had views
        _history(weeks=CLOSED_WEEKS, closed_weeks=CLOSED_WEEKS)[1:],  # under eight weeks of history
        np.zeros(20 * SEASON),  # no views at all: a creator who paused may come back on any day
        np.where(np.arange(20 * SEASON) % SEASON == SATURDAY, np.nan, 5.0),  # unknown is not zero
    ],
    ids=["seven-weeks", "short", "paused", "missing"],
)
def test_every_day_stays_open_without_eight_whole_weeks_of_closure(history):
    assert open_days(history, 30).all()


def _shops(days: int = 300, open_series: bool = False) -> pd.DataFrame:
    """Three shops closed on Saturdays (and a creator open every day when ``open_series``)."""
    rng = np.random.default_rng(0)
    dates = pd.date_range(START, periods=days)
    frames = []
    for k in range(3 + open_series):
        values = rng.poisson(100.0 * (k + 1), days).astype(float)
        if k < 3:
            values[dates.dayofweek == SATURDAY] = 0.0
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "ds": dates.strftime("%Y-%m-%d"), "y": values}))
    return pd.concat(frames, ignore_index=True)


def _on_saturdays(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["date"]).dt.dayofweek == SATURDAY


BOUNDS = ["point", "lo80", "hi80", "lo95", "hi95"]


def test_a_shop_is_forecast_closed_on_saturdays_and_a_creator_open_every_day():
    result = viewcast.forecast(_shops(open_series=True), horizon=30, by="creator", progress=False, holidays="none")
    frame = result.forecast
    saturday = _on_saturdays(frame)
    shops = frame["series"] != "s3"
    assert saturday[shops].sum() == 3 * 4
    assert (frame.loc[saturday & shops, BOUNDS] == 0.0).all().all()
    assert (frame.loc[~saturday, "point"] > 50.0).all()
    assert (frame.loc[~saturday, "hi95"] > frame.loc[~saturday, "point"]).all()
    assert (frame.loc[saturday & ~shops, "hi95"] > 300.0).all()
    # the total is open on Saturdays: the creator's views alone
    total = result.total
    creator = frame[~shops].set_index("date")["point"]
    on_saturday = total[_on_saturdays(total)].set_index("date")
    np.testing.assert_allclose(on_saturday["point"], creator[on_saturday.index], rtol=1e-9)
    assert (on_saturday["hi95"] > on_saturday["point"]).all()
    assert any("3 series had no views on some weekdays" in note and "s0 (Saturdays)" in note for note in result.notes)


def test_a_total_of_closed_shops_is_closed_and_plans_no_servers_there():
    result = viewcast.forecast(
        _shops(), horizon=30, by="creator", progress=False, holidays="none", capacity={"views_per_server_day": 50}
    )
    total = result.total
    saturday = _on_saturdays(total)
    assert (total.loc[saturday, BOUNDS] == 0.0).all().all()
    assert (total.loc[~saturday, "lo95"] > 0.0).all()
    daily = pd.DataFrame(result.capacity["daily"])
    assert (daily.loc[_on_saturdays(daily), "hi95_views"] == 0.0).all()
    assert (daily.loc[~_on_saturdays(daily), "servers"] >= 12).all()


def test_the_capacity_backtest_replays_closed_saturdays_as_closed():
    result = viewcast.capacity(_shops(), by="creator", horizon=30, progress=False, holidays="none")
    table = result.backtest_table()
    saturday = _on_saturdays(table)
    assert saturday.sum() >= 10
    assert (table.loc[saturday, ["actual_views", "point_views", "planning_views"]] == 0.0).all().all()
    assert (table.loc[~saturday, "planning_views"] > 0.0).all()


def test_closed_days_calibrate_nothing():
    """Every backtest origin is a whole number of weeks back, so the closed Saturdays fall on the
    same steps of every window: those steps, and only those, hold no errors."""
    result = viewcast.forecast(_shops(), horizon=30, by="creator", progress=False, holidays="none")
    for calibration in (result.model.engine.calibration, result.model.engine.total_calibration):
        missing = np.isnan(calibration.errors)
        assert missing.any(axis=0).sum() == 30 // SEASON + (30 % SEASON > 0)
        np.testing.assert_array_equal(missing.all(axis=0), missing.any(axis=0))


def test_a_model_asked_for_alone_forecasts_closed_days_as_it_is():
    frame = viewcast.forecast(_shops(), horizon=30, by="creator", progress=False, model="seasonal_naive").forecast
    saturday = _on_saturdays(frame)
    assert (frame.loc[saturday, "point"] == 0.0).all()  # last week's Saturday
    assert (frame.loc[saturday, "hi95"] > 0.0).all()  # and a band, as the model alone gives


def _drop_closed_days(config: dict) -> None:
    for value in config.values():
        if isinstance(value, dict):
            value.pop("closed_days", None)
            _drop_closed_days(value)


def test_a_saved_model_keeps_the_rule_and_one_saved_before_it_forecasts_every_day(tmp_path, edit_config):
    data = _shops()
    result = viewcast.forecast(data, horizon=30, by="creator", progress=False, holidays="none")
    folder = result.model.save(tmp_path / "m")
    answer = pd.DataFrame(viewcast.load_model(folder).predict(data)["forecast"])
    np.testing.assert_allclose(answer[BOUNDS], result.forecast[BOUNDS])

    edit_config(folder, _drop_closed_days)
    before = pd.DataFrame(viewcast.load_model(folder).predict(data)["forecast"])
    saturday = _on_saturdays(before)
    assert (before.loc[saturday, "hi95"] > 0.0).all()
    np.testing.assert_array_less(answer.loc[saturday, "hi95"], before.loc[saturday, "hi95"])


def test_a_saved_model_refuses_a_rule_that_is_not_true_or_false(tmp_path, edit_config):
    result = viewcast.forecast(_shops(), horizon=30, by="creator", progress=False, holidays="none")
    folder = result.model.save(tmp_path / "m")

    def garble(config: dict) -> None:
        for value in config.values():
            if isinstance(value, dict) and "closed_days" in value:
                value["closed_days"] = "yes"

    edit_config(folder, garble)
    with pytest.raises(ModelLoadError, match="closed_days must be true or false"):
        viewcast.load_model(folder)
