"""The views forecast in the contract suite: a small run, its saved model kind, every fixture."""

from __future__ import annotations

from pathlib import Path

import viewcast
from viewcast.synth.series import ets_series, to_long

ANALYSIS = "forecast"


def _history():
    """The history every forecast fixture was fitted to (tests/fixtures/make_forecast_fixtures.py)."""
    return to_long({"a": ets_series(80, seed=3), "b": ets_series(80, seed=4)})


def analysis_case(tmp_path: Path):
    return _history(), {"horizon": 7, "model": "theta", "by": "creator", "progress": False}


def model_cases(tmp_path: Path) -> list[dict]:
    result = viewcast.forecast(_history(), horizon=7, model="ets", by="creator", progress=False)
    return [{"kind": "forecast", "model": result.model, "request": {"history": _history().to_dict("records"), "horizon": 5}}]


FIXTURES = {
    folder: {"history": _history(), "horizon": 7}
    for folder in ("forecast_ets_model", "forecast_lstm_model", "forecast_ensemble_model_v2", "forecast_lstm_model_v2")
}
