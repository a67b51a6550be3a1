"""Follower drivers in the contract suite: a small synthetic table, the one model kind, its fixture."""

from __future__ import annotations

from viewcast.synth.videos import generate_videos

ANALYSIS = "followers"

PLANNED = [
    {"length": 30, "views": 3000, "likes": 180, "comments": 6, "shares": 9, "saves": 12, "avgWatchTime": 12.5,
     "watchedFullVideo": 20, "forYouPct": 80, "category": "Tech", "subject": "data analytics"},
    {"length": 95, "views": 800, "likes": 40, "comments": 1, "shares": 2, "saves": 3, "avgWatchTime": 30,
     "forYouPct": 55, "category": "Career", "subject": "programming"},
]  # fmt: skip

#: Saved by ``tests/fixtures/followers_make_fixture.py`` with viewcast 0.2 (model format 2).
FIXTURES = {"followers_model": PLANNED}


def analysis_case(tmp_path):
    return generate_videos(120, seed=1).frame, {"cv_folds": 3, "seed": 1}


def model_cases(tmp_path):
    from viewcast.followers import FollowersConfig, run

    result = run(generate_videos(120, seed=2).frame, FollowersConfig(cv_folds=0, scale="log", seed=2))
    return [{"kind": "followers", "model": result.model, "request": PLANNED}]
