"""Models saved by an earlier viewcast still load and forecast the same numbers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from viewcast.forecasting.pipeline import run_forecast

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from make_forecast_fixtures import fixture_frame  # noqa: E402


@pytest.mark.parametrize("model", ["lstm", "ets"])
def test_saved_fixture_model_forecasts_the_recorded_numbers(model):
    expected = json.loads((FIXTURES / "forecast_expected.json").read_text())[model]
    result = run_forecast(
        fixture_frame(), horizon=7, by="creator", load_model=FIXTURES / f"forecast_{model}_model", progress=False
    )
    assert result.chosen == model
    for column, values in expected.items():
        np.testing.assert_allclose(result.forecast[column].to_numpy(), values, rtol=1e-6, atol=1e-6)
