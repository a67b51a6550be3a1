"""The views forecast in the contract suite: a small run, its saved model kind, every fixture."""

from __future__ import annotations

from pathlib import Path

import viewcast
from viewcast.synth.series import ets_series, to_long

ANALYSIS = "forecast"


def _history():
    """The history the older forecast fixtures were fitted to (tests/fixtures/make_forecast_fixtures.py)."""
    return to_long({"a": ets_series(80, seed=3), "b": ets_series(80, seed=4)})


def _combination_history():
    """The history of the combination fixture (tests/fixtures/forecast_make_fixture.py)."""
    return to_long({f"c{i}": ets_series(200, seed=20 + i) for i in range(3)})


def analysis_case(tmp_path: Path):
    return _history(), {"horizon": 7, "model": "theta", "by": "creator", "progress": False}


def model_cases(tmp_path: Path) -> list[dict]:
    """The kind ``forecast`` as ``auto`` makes it: every member kind, LightGBM included."""
    result = viewcast.forecast(_combination_history(), horizon=7, by="creator", progress=False)
    request = {"history": _combination_history().to_dict("records"), "horizon": 5, "quantiles": [0.99]}
    return [{"kind": "forecast", "model": result.model, "request": request}]


FIXTURES = {
    **{
        folder: {"history": _history(), "horizon": 7}
        for folder in ("forecast_ets_model", "forecast_lstm_model", "forecast_ensemble_model_v2", "forecast_lstm_model_v2")
    },
    "forecast_combination_model": {"history": _combination_history(), "horizon": 7, "quantiles": [0.99]},
}
