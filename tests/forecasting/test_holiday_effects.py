"""Public holidays ahead: a series' own past response moves its forecast, and only a real one."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

import viewcast
from viewcast.forecasting.holiday_effects import holiday_days, holiday_factors

ORIGIN = "2020-01-01"
DIPS = {"Thanksgiving Day": 0.4, "Christmas Day": 0.5}


def _views(end: date, seed: int = 0, dips: dict[str, float] = DIPS, level: float = 1000.0) -> tuple[np.ndarray, dict]:
    """Poisson views from ORIGIN to ``end`` plus 60 days, times ``dips`` on those US holidays."""
    days = (end - date.fromisoformat(ORIGIN)).days + 60
    names = holiday_days("US", ORIGIN, 0, days)
    values = np.random.default_rng(seed).poisson(level, days).astype(float)
    for t, name in names.items():
        values[t] *= dips.get(name, 1.0)
    return values, names


def test_observed_days_count_under_the_holidays_own_name():
    names = holiday_days("US", ORIGIN, 0, 1100)
    christmas_2022 = (date(2022, 12, 26) - date(2020, 1, 1)).days  # Christmas fell on a Sunday
    assert names[christmas_2022] == "Christmas Day"
    assert names[(date(2021, 11, 25) - date(2020, 1, 1)).days] == "Thanksgiving Day"


def test_a_series_that_dipped_on_past_holidays_is_forecast_to_dip_again():
    end = date(2022, 11, 15)
    values, names = _views(end)
    history = values[: (end - date(2020, 1, 1)).days]
    factors = holiday_factors(history, 0, 60, names)
    first = len(history)
    moved = {names[first + step]: round(float(f), 2) for step, f in enumerate(factors) if f != 1.0}
    assert moved == pytest.approx({"Thanksgiving Day": 0.4, "Christmas Day": 0.5}, abs=0.03)
    thanksgiving = [step for step in range(60) if names.get(first + step) == "Thanksgiving Day"]
    assert len(thanksgiving) == 1 and factors[thanksgiving[0]] == pytest.approx(0.4, abs=0.03)
    assert np.sum(factors != 1.0) == 3  # Thanksgiving, Christmas and its observed Monday


def test_a_series_that_ignores_the_calendar_keeps_its_forecast():
    end = date(2022, 11, 15)
    for seed in range(5):
        values, names = _views(end, seed=seed, dips={})
        history = values[: (end - date(2020, 1, 1)).days]
        np.testing.assert_array_equal(holiday_factors(history, 0, 60, names), np.ones(60))


def test_a_holiday_never_seen_in_the_history_is_left_alone():
    end = date(2020, 11, 15)  # ten months: no past Thanksgiving or Christmas
    values, names = _views(end)
    history = values[: (end - date(2020, 1, 1)).days]
    np.testing.assert_array_equal(holiday_factors(history, 0, 60, names), np.ones(60))


def _panel(end: date) -> pd.DataFrame:
    frames = []
    for k in range(3):
        values, _ = _views(end, seed=k, level=500.0 * (k + 1))
        days = (end - date.fromisoformat(ORIGIN)).days
        ds = pd.date_range(ORIGIN, periods=days).strftime("%Y-%m-%d")
        frames.append(pd.DataFrame({"unique_id": f"c{k}", "ds": ds, "y": values[:days]}))
    return pd.concat(frames, ignore_index=True)


def test_the_forecast_knows_thanksgiving_and_the_option_turns_it_off():
    data = _panel(date(2022, 11, 15))
    on = viewcast.forecast(data, horizon=30, by="creator", progress=False)
    off = viewcast.forecast(data, horizon=30, by="creator", progress=False, holidays="none")
    day = "2022-11-24"
    week_after = "2022-12-01"
    for result, expected in ((on, 0.4), (off, 1.0)):
        point = result.forecast.pivot(index="date", columns="series", values="point")
        dates = point.index.astype(str)
        ratio = point[dates == day].to_numpy() / point[dates == week_after].to_numpy()
        np.testing.assert_allclose(ratio, expected, atol=0.08)
        total = result.total.set_index(result.total["date"].astype(str))["point"]
        assert total[day] / total[week_after] == pytest.approx(expected, abs=0.08)
    same = on.forecast["date"].astype(str) != day
    np.testing.assert_allclose(on.forecast["point"][same], off.forecast["point"][same])


def test_a_saved_model_keeps_its_calendar(tmp_path):
    data = _panel(date(2022, 11, 15))
    result = viewcast.forecast(data, horizon=30, by="creator", progress=False)
    loaded = viewcast.load_model(result.model.save(tmp_path / "m"))
    answer = pd.DataFrame(loaded.predict(data)["forecast"])
    np.testing.assert_allclose(answer["point"], result.forecast["point"])
    assert loaded.describe()["holidays"] == "US"


def test_the_report_names_the_holidays_ahead_only_with_a_calendar(tmp_path):
    data = _panel(date(2022, 11, 15))
    for option, expected in (("US", True), ("none", False)):
        result = viewcast.forecast(data, horizon=30, by="creator", progress=False, holidays=option)
        result.save(tmp_path / option)
        html = (tmp_path / option / "report.html").read_text()
        assert ("Thanksgiving Day\non 2022-11-24 in these days" in html) is expected
        assert ("Public holidays of US are known" in html) is expected


def test_a_moved_day_keeps_the_ordinary_day_inside_its_band():
    on = viewcast.forecast(_panel(date(2022, 11, 15)), horizon=30, by="creator", progress=False)
    frame = on.forecast.assign(date=on.forecast["date"].astype(str)).set_index(["date", "series"])
    thanksgiving, week_after = frame.loc["2022-11-24"], frame.loc["2022-12-01"]
    np.testing.assert_allclose(thanksgiving["point"] / week_after["point"], 0.4, atol=0.08)
    # the band holds both the dip and the ordinary Thursday, should the dip not come this year
    assert (thanksgiving["hi95"] >= week_after["point"]).all()
    assert (thanksgiving["lo95"] <= thanksgiving["point"]).all()


def test_a_holiday_response_that_did_not_recur_widens_no_other_days_band():
    """Christmas dipped in 2020 and 2021, not in 2022: the backtest window holding Christmas 2022
    was moved for nothing; that one day must not set every later day's upper bound."""
    end = date(2023, 1, 20)
    days = (end - date.fromisoformat(ORIGIN)).days
    names = holiday_days("US", ORIGIN, 0, days)
    values = np.random.default_rng(0).poisson(1000.0, days).astype(float)
    for t, name in names.items():
        if name == "Christmas Day" and t < (date(2022, 6, 1) - date.fromisoformat(ORIGIN)).days:
            values[t] *= 0.3
    data = pd.DataFrame({"unique_id": "a", "ds": pd.date_range(ORIGIN, periods=days).strftime("%Y-%m-%d"), "y": values})
    on, off = (viewcast.forecast(data, horizon=30, progress=False, holidays=h).forecast for h in ("US", "none"))
    np.testing.assert_allclose(on["hi95"], off["hi95"], rtol=0.01)  # was 1.5 times as wide
