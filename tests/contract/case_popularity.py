"""Content popularity in the contract suite: a small run, its saved model kind, every fixture."""

from __future__ import annotations

import json
from pathlib import Path

import viewcast
from viewcast.synth.ratings import decaying_counts, ratings_from_counts

ANALYSIS = "popularity"
FIXTURE_ANSWER = Path(__file__).resolve().parent.parent / "fixtures" / "popularity_expected_v2.json"
OPTIONS = {
    "window": 3, "hidden": 4, "group_size": 8, "groups_per_slot": 1, "max_epochs": 1,
    "cache_sizes": [0.1], "policies": ["lru", "belady"], "progress": False,
}  # fmt: skip


def _ratings():
    """Sixty days of requests of 30 movies (one rating per request), daily slots from 2011-01-26."""
    return ratings_from_counts(decaying_counts(seed=2, movies=30, slots=60), origin=15_000 * 86_400)


def analysis_case(tmp_path: Path):
    return _ratings(), dict(OPTIONS)


def model_cases(tmp_path: Path) -> list[dict]:
    result = viewcast.popularity(_ratings(), **{**OPTIONS, "replay": False})
    last = result.model.origin + result.model.state.t - 1
    request = {"slots": [{"slot": last + 2, "counts": {"3": 4, "31": 2}}], "top": 5}
    return [{"kind": "popularity", "model": result.model, "request": request}]


FIXTURES = {
    # viewcast 0.1.0: the network only; the request carries the recent counts it ranks from
    "popularity_model": {
        "slots": [{"slot": 100, "counts": {"1": 3, "2": 1}}, {"slot": 102, "counts": {"2": 2, "3": 5}}],
        "top": 3,
    },
    # with its feature state: two newer days on top of what it saw
    "popularity_model_v2": json.loads(FIXTURE_ANSWER.read_text())["request"],
}
