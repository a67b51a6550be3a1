"""Models saved by earlier versions of viewcast still load and forecast the numbers they recorded."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import viewcast
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.pipeline import run_saved

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from make_forecast_fixtures import CURRENT, fixture_frame  # noqa: E402

RECORDED = {
    **{f"forecast_{m}_model": v for m, v in json.loads((FIXTURES / "forecast_expected.json").read_text()).items()},
    **json.loads((FIXTURES / "forecast_expected_v2.json").read_text()),
}


def test_every_fixture_has_recorded_numbers():
    assert set(RECORDED) == {"forecast_ets_model", "forecast_lstm_model", *CURRENT}
    assert {p.name for p in FIXTURES.glob("forecast_*_model*")} == set(RECORDED)


@pytest.mark.parametrize("folder", sorted(RECORDED))
def test_saved_fixture_model_forecasts_the_recorded_numbers(folder):
    model = viewcast.load_model(FIXTURES / folder)
    answer = model.predict({"history": fixture_frame(), "horizon": 7})
    result = run_saved(model, fixture_frame(), ForecastConfig.parse(horizon=7, by="creator", progress=False))
    assert result.chosen == model.name == answer["model"] and folder.startswith(f"forecast_{model.name}_model")
    for column, values in RECORDED[folder].items():
        np.testing.assert_allclose([row[column] for row in answer["forecast"]], values, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(result.forecast[column].to_numpy(), values, rtol=1e-6, atol=1e-6)
