"""The total's own forecast: chosen by an honest backtest where every series grows together."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

import viewcast
from viewcast.errors import ModelLoadError
from viewcast.forecasting.evaluation.weights import leave_one_origin_out
from viewcast.forecasting.total import BOTTOM_UP, DIRECT, DirectTotal, choose_total
from viewcast.synth.series import to_long

DAYS, HELD_OUT = 330, 30


def _report_text(result, folder) -> str:
    """report.html's words, markup and line breaks taken out; no two words glued together where a
    template tag ended a line (``4of 10 series``, ``tails.The total's``)."""
    page = (result.save(folder) / "report.html").read_text()
    text = " ".join(html.unescape(re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.S)).split())
    assert not re.findall(r"\S{0,20}(?:[a-z][.;:)][A-Z(][a-z]|\d(?:of|on) )\S{0,20}", text)
    return text


def _growing_panel(seed: int, growth_per_year: float) -> dict[str, np.ndarray]:
    """Creators with their own weekly profiles and heavy day-to-day noise, all growing at one rate:
    each series' trend hides in its noise, the total's does not."""
    rng = np.random.default_rng(seed)
    t = np.arange(DAYS + HELD_OUT)
    common = np.exp(np.log(growth_per_year) / 365 * t)
    out = {}
    for i in range(30):
        weekly = np.exp(rng.normal(0, 0.25, 7))
        mean = rng.uniform(300, 3000) * common * weekly[t % 7] / weekly.mean()
        out[f"c{i:02d}"] = rng.negative_binomial(8, 8 / (8 + mean)).astype(float)
    return out


@pytest.fixture(scope="module")
def growing():
    series = _growing_panel(seed=3, growth_per_year=5.0)
    history = to_long({k: v[:DAYS] for k, v in series.items()})
    result = viewcast.forecast(history, horizon=HELD_OUT, by="creator", progress=False)
    return series, result


def test_every_series_growing_together_makes_the_total_forecast_on_its_own(growing):
    series, result = growing
    choice = result.backtest["total"]
    assert choice["forecast"] == DIRECT
    assert choice["mae_direct"] < 0.9 * choice["mae_bottom_up"]
    assert "the total is forecast on its own" in result.selection
    truth = np.sum([v[DAYS:] for v in series.values()], axis=0)
    summed = result.forecast.groupby("date", sort=False)["point"].sum().to_numpy()
    total = result.total["point"].to_numpy()
    # the sum of the series lags the common growth; the total's own forecast follows it
    assert np.mean(summed) < np.mean(truth)
    assert np.mean(np.abs(total - truth)) < np.mean(np.abs(summed - truth))
    assert (result.total["lo95"] <= result.total["point"]).all() and (result.total["point"] <= result.total["hi95"]).all()


def test_the_report_says_how_the_total_was_forecast(growing, tmp_path):
    _, result = growing
    report = _report_text(result, tmp_path / "out")
    assert "All series together: forecast on its own (the statistical members" in report
    assert "backtest errors of that forecast (not the sum of each series' bounds" in report
    assert "with bands calibrated on the backtest errors of that sum" not in report


def test_a_saved_model_keeps_the_totals_own_forecast(growing, tmp_path):
    series, result = growing
    loaded = viewcast.load_model(result.model.save(tmp_path / "m"))
    history = to_long({k: v[:DAYS] for k, v in series.items()})
    again = loaded.predict(history)
    np.testing.assert_allclose([row["point"] for row in again["total"]], result.total["point"], rtol=1e-9)
    # on a later history the total's members are forwarded, not refitted
    later = loaded.predict(to_long({k: v[: DAYS + 14] for k, v in series.items()}))
    assert len(later["total"]) == HELD_OUT and not np.allclose([r["point"] for r in later["total"]], result.total["point"])


def test_a_direct_total_with_learned_members_is_refused(growing, tmp_path, edit_config):
    _, result = growing
    folder = result.model.save(tmp_path / "m")

    def smuggle(config):
        config["engine"]["direct_total"]["global"] = {"lgbm": {}}

    edit_config(folder, smuggle)
    with pytest.raises(ModelLoadError):
        viewcast.load_model(folder)


def test_independent_series_keep_the_sum_of_the_series(tmp_path):
    rng = np.random.default_rng(8)
    t = np.arange(DAYS)
    series = {}
    for i in range(12):  # each its own level shifts: the sum knows them, the total's members only see their sum
        level = rng.uniform(500, 3000) * np.where(t >= rng.integers(100, 300), rng.choice([0.5, 1.8]), 1.0)
        series[f"c{i:02d}"] = np.round(level * (1 + 0.4 * np.sin(2 * np.pi * (t + i) / 7)) + rng.normal(0, 5, DAYS))
    result = viewcast.forecast(to_long(series), horizon=14, by="creator", progress=False)
    assert result.backtest["total"]["forecast"] == BOTTOM_UP
    summed = result.forecast.groupby("date", sort=False)["point"].sum().to_numpy()
    np.testing.assert_allclose(result.total["point"].to_numpy(), summed)
    report = _report_text(result, tmp_path / "out")
    assert "All series together: the sum of the series' forecasts, with bands calibrated" in report
    assert "backtest errors of that sum (not the sum of each series' bounds" in report
    assert "forecast on its own" not in report


def test_leave_one_origin_out_scores_each_origin_on_weights_from_the_others():
    actual = np.zeros((1, 4, 3))
    forecasts = np.zeros((2, 1, 4, 3))
    forecasts[0, 0, 0] = 10.0  # member 0 is perfect except at origin 0
    forecasts[1] = 1.0  # member 1 is always off by 1
    loo = leave_one_origin_out(actual, forecasts, trim=0)  # the weighted mean (two members: nothing to trim)
    # origin 0 is weighted on origins 1-3, where member 0 was perfect: its bad forecast passes through
    np.testing.assert_allclose(loo[0, 0], 10.0, rtol=1e-6)
    # at the other origins member 0's miss at origin 0 counts: MAE 10/3 against 1
    w0 = (3 / 10) ** 2 / ((3 / 10) ** 2 + 1.0)
    np.testing.assert_allclose(loo[0, 1:], (1 - w0) * 1.0)


def _direct(actual_total: np.ndarray, loo: np.ndarray) -> DirectTotal:
    return DirectTotal(("ets",), None, np.ones((1, 1)), actual_total[None], actual_total[None], loo[None], loo)  # type: ignore[arg-type]


def test_choose_total_takes_the_lower_honest_backtest_error_on_shared_origins():
    series_actual = np.ones((2, 5, 3))
    series_forecasts = np.full((1, 2, 5, 3), 1.5)  # the sum misses the total by 1 every day
    ones = np.ones_like(series_actual)  # no holiday moved a forecast
    actual_total = series_actual.sum(axis=0)
    better = _direct(actual_total, actual_total + 0.5)
    worse = _direct(actual_total, actual_total - 2.0)
    assert choose_total(better, series_actual, series_forecasts, ones, 5) == (
        DIRECT,
        {"shared_origins": 5, "mae_bottom_up": pytest.approx(1.0), "mae_direct": pytest.approx(0.5)},
    )
    assert choose_total(worse, series_actual, series_forecasts, ones, 5)[0] == BOTTOM_UP
    # a series without a window at most origins: too few shared origins to compare on
    ragged = series_actual.copy()
    ragged[1, 2:] = np.nan
    assert choose_total(better, ragged, series_forecasts, ones, 5) == (
        BOTTOM_UP,
        {"shared_origins": 2, "mae_bottom_up": None, "mae_direct": None},
    )
    assert choose_total(None, series_actual, series_forecasts, ones, 5)[0] == BOTTOM_UP


def test_choose_total_scores_both_sides_as_served_with_their_holiday_moves():
    series_actual = np.ones((2, 5, 3))
    series_forecasts = np.full((1, 2, 5, 3), 1.5)  # the sum misses the total by 1 every day
    actual_total = series_actual.sum(axis=0)
    direct = _direct(actual_total, actual_total + 0.5)  # misses by 0.5 every day
    # a holiday on the second day of every window moved each series' forecast onto the actual
    series_factors = np.ones_like(series_actual)
    series_factors[:, :, 1] = 1 / 1.5
    source, choice = choose_total(direct, series_actual, series_forecasts, series_factors, 5)
    assert choice["mae_bottom_up"] == pytest.approx(2 / 3)
    assert (source, choice["mae_direct"]) == (DIRECT, pytest.approx(0.5))
    # the direct total's own move of that day (2.5 -> 4 against an actual 2) counts against it
    total_factors = np.ones((1, 5, 3))
    total_factors[0, :, 1] = 4.0 / 2.5
    moved = direct.moved(total_factors)
    np.testing.assert_allclose(moved.loo[:, 1], 4.0)
    np.testing.assert_allclose(moved.combined[0, :, 1], 4.0)
    source, choice = choose_total(moved, series_actual, series_forecasts, series_factors, 5)
    assert (source, choice["mae_direct"]) == (BOTTOM_UP, pytest.approx(1.0))


def test_one_series_has_no_separate_total():
    rng = np.random.default_rng(1)
    frame = to_long({"solo": rng.poisson(500, 200).astype(float)})
    result = viewcast.forecast(frame, horizon=7, by="creator", progress=False)
    assert result.backtest["total"]["forecast"] == BOTTOM_UP
    np.testing.assert_allclose(result.total["point"], result.forecast["point"])
