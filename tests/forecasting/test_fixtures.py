"""Models saved by earlier versions of viewcast, and by this one, still load and forecast the numbers
they recorded (through ``predict`` and through ``run_saved``, the path of ``--load-model``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import viewcast
from viewcast.errors import ConfigError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.pipeline import run_saved

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import forecast_direct_total_make_fixture as direct_total  # noqa: E402
import forecast_make_fixture as combination  # noqa: E402
import forecast_own_bands_make_fixture as own_bands  # noqa: E402
from make_forecast_fixtures import CURRENT, fixture_frame  # noqa: E402

OLD = {
    **{f"forecast_{m}_model": v for m, v in json.loads((FIXTURES / "forecast_expected.json").read_text()).items()},
    **json.loads((FIXTURES / "forecast_expected_v2.json").read_text()),
}
NEW = json.loads((FIXTURES / combination.EXPECTED).read_text())


def test_every_fixture_has_recorded_numbers():
    assert set(OLD) == {"forecast_ets_model", "forecast_lstm_model", *CURRENT}
    assert {p.name for p in FIXTURES.glob("forecast_*_model*")} == {
        *OLD,
        combination.FOLDER,
        direct_total.FOLDER,
        own_bands.FOLDER,
    }


@pytest.mark.parametrize("folder", sorted(OLD))
def test_older_models_forecast_the_numbers_they_recorded(folder):
    model = viewcast.load_model(FIXTURES / folder)
    answer = model.predict({"history": fixture_frame(), "horizon": 7})
    result = run_saved(model, fixture_frame(), ForecastConfig.parse(horizon=7, by="creator", progress=False))
    assert result.chosen == model.name == answer["model"] and folder.startswith(f"forecast_{model.name}_model")
    for column, values in OLD[folder].items():
        np.testing.assert_allclose([row[column] for row in answer["forecast"]], values, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(result.forecast[column].to_numpy(), values, rtol=1e-6, atol=1e-6)
    with pytest.raises(ConfigError, match="80% and 95% bands only"):
        model.predict({"history": fixture_frame(), "horizon": 7, "quantiles": [0.99]})


def test_the_combination_fixture_forecasts_the_numbers_it_recorded():
    model = viewcast.load_model(FIXTURES / combination.FOLDER)
    assert model.name == "combination" and model.engine.members == ("seasonal_naive", "ets", "dot", "mstl", "lgbm")
    assert model.engine.trim == 0  # saved before trimming: still the weighted mean it recorded
    answer = model.predict({"history": combination.fixture_frame(), "horizon": 7, "quantiles": [0.99]})
    result = run_saved(model, combination.fixture_frame(), ForecastConfig.parse(horizon=7, by="creator", progress=False))
    for column, values in NEW["forecast"].items():
        np.testing.assert_allclose([row[column] for row in answer["forecast"]], values, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(result.forecast[column].to_numpy(), values, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose([d["bound"] for d in answer["total_quantiles"][0]["daily"]], NEW["total_q99"], rtol=1e-6)


def test_the_direct_total_fixture_forecasts_the_total_it_recorded():
    expected = json.loads((FIXTURES / direct_total.EXPECTED).read_text())
    model = viewcast.load_model(FIXTURES / direct_total.FOLDER)
    assert model.engine.direct_total is not None and model.engine.direct_total.members[0] == "seasonal_naive"
    answer = model.predict({"history": direct_total.fixture_frame(), "horizon": 7, "quantiles": [0.99]})
    for column, values in expected["forecast"].items():
        np.testing.assert_allclose([row[column] for row in answer["forecast"]], values, rtol=1e-6, atol=1e-6)
    for column, values in expected["total"].items():
        np.testing.assert_allclose([row[column] for row in answer["total"]], values, rtol=1e-6, atol=1e-6)
    summed = np.asarray(expected["forecast"]["point"]).reshape(-1, 7).sum(axis=0)
    assert not np.allclose(expected["total"]["point"], summed)  # the total is its own forecast, not the sum
    np.testing.assert_allclose([d["bound"] for d in answer["total_quantiles"][0]["daily"]], expected["total_q99"], rtol=1e-6)


def test_the_own_bands_fixture_keeps_its_calm_series_band_narrow():
    expected = json.loads((FIXTURES / own_bands.EXPECTED).read_text())["forecast"]
    model = viewcast.load_model(FIXTURES / own_bands.FOLDER)
    calibration = model.engine.calibration
    assert calibration.series is not None and np.bincount(calibration.series).tolist() == [12, 12]
    answer = model.predict({"history": own_bands.fixture_frame(), "horizon": 7})
    for column, values in expected.items():
        np.testing.assert_allclose([row[column] for row in answer["forecast"]], values, rtol=1e-6, atol=1e-6)
    # the calm series' upper side is its own, narrower than the pooled one the spiky series keeps
    p = calibration.conformal_probability(0.975)
    calm, spiky = calibration.series_step_quantiles(p, 7, np.array([0, 1]))
    np.testing.assert_array_equal(spiky, calibration.step_quantiles(p, 7))
    assert (calm < 0.7 * spiky).all()


def test_the_report_says_which_series_read_their_own_upper_side(tmp_path):
    fresh = viewcast.forecast(own_bands.fixture_frame(), horizon=7, by="creator", model="ets", progress=False)
    assert fresh.backtest["own_upper_series"] == 2 and fresh.backtest["origins"] >= 8
    fresh.save(tmp_path / "fresh")
    assert "The upper side of the 2 series with 8 backtest origins or more" in (tmp_path / "fresh" / "report.html").read_text()
    older = run_saved(
        viewcast.load_model(FIXTURES / "forecast_ensemble_model_v2"),
        fixture_frame(),
        ForecastConfig.parse(horizon=7, by="creator", progress=False),
    )
    older.save(tmp_path / "older")  # its bands are pooled: the report does not claim otherwise
    assert "The upper side of the" not in (tmp_path / "older" / "report.html").read_text()


def test_the_report_says_each_days_extreme_members_are_left_out_only_where_they_are(tmp_path):
    frame = combination.fixture_frame()
    fresh = viewcast.forecast(frame, horizon=7, by="creator", progress=False)
    assert fresh.model.engine.trim == 1
    fresh.save(tmp_path / "fresh")
    sentence = "highest and the lowest member\nforecast are left out first (where at least\n3 members forecast)"
    assert sentence in (tmp_path / "fresh" / "report.html").read_text()
    older = run_saved(
        viewcast.load_model(FIXTURES / combination.FOLDER), frame, ForecastConfig.parse(horizon=7, by="creator", progress=False)
    )
    older.save(tmp_path / "older")  # saved before trimming: the report does not claim it
    assert "left out first" not in (tmp_path / "older" / "report.html").read_text()


def test_a_forecast_with_an_older_model_saves_its_report(tmp_path):
    model = viewcast.load_model(FIXTURES / "forecast_ensemble_model_v2")
    result = run_saved(model, fixture_frame(), ForecastConfig.parse(horizon=7, by="creator", progress=False))
    result.save(tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Capacity plan" in html and "saved ensemble model" in html
    assert not (tmp_path / "out" / "backtest.png").exists()  # an older backtest summary has no members to draw
