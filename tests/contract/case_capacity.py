"""The capacity plan in the contract suite (to be moved to tests/contract/case_capacity.py once
``viewcast.capacity`` is in viewcast/__init__.py and "capacity" in test_every_analysis_has_a_case).

Capacity fits no model kind of its own: the forecast it rests on is the ``forecast`` kind, whose
cases and fixtures are case_forecast.py's.
"""

from __future__ import annotations

from pathlib import Path

from viewcast.synth.series import ets_series, to_long

ANALYSIS = "capacity"


def analysis_case(tmp_path: Path):
    history = to_long({"a": ets_series(120, seed=3), "b": ets_series(120, seed=4)})
    options = {"horizon": 14, "model": "seasonal_naive", "by": "creator", "views_per_server_day": 100.0, "progress": False}
    return history, options


def model_cases(tmp_path: Path) -> list[dict]:
    return []


FIXTURES: dict = {}
