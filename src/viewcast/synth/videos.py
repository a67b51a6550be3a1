"""Synthetic per-video analytics in the follower-drivers study's 14-column schema.

The study hand-copied 194 videos from TikTok's analytics screen (``date, length, views, likes,
comments, shares, saves, avgWatchTime, watchedFullVideo, newFollowers, category, subject,
forYouPct, totalPlayTime``). This generator writes the same schema from a *known* linear model so
that the regression can be checked against the truth:

    log1p(newFollowers) = INTERCEPT + sum(PER_UNIT[c] * column c)
                          + CATEGORY_EFFECT[category] + SUBJECT_EFFECT[subject] + N(0, NOISE_SD²)

The ground truth is stated on the scale the model estimates (log1p of the target, raw units of each
column), so a fitted per-unit coefficient and its CI can be compared with ``PER_UNIT`` directly.
Columns absent from ``PER_UNIT`` (likes, saves, avgWatchTime, forYouPct, totalPlayTime) and levels
with effect 0 are *null* features: they are correlated with the real drivers, as on the real
screen, but have no effect of their own.

As in the study, a zero in ``watchedFullVideo`` or ``newFollowers`` means "not recorded", and a few
categories/subjects are too rare to estimate (they exist to exercise the feature reduction step).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from viewcast.atomic import write_csv

COLUMNS = [
    "date", "length", "views", "likes", "comments", "shares", "saves", "avgWatchTime",
    "watchedFullVideo", "newFollowers", "category", "subject", "forYouPct", "totalPlayTime",
]  # fmt: skip

INTERCEPT = 3.8
#: Effect on log1p(newFollowers) of one unit of each column (seconds, views, percentage points...).
PER_UNIT: dict[str, float] = {
    "length": -0.012,  # per second: long videos lose followers (the study's finding)
    "views": 1e-4,  # per view: +1 per 10,000 views
    "comments": 0.04,
    "shares": 0.025,
    "watchedFullVideo": -0.025,  # per percentage point
}
NULL_COLUMNS = ("likes", "saves", "avgWatchTime", "forYouPct", "totalPlayTime")
#: Common levels with their shares of the videos and their effects (vs. effect 0).
CATEGORY_EFFECT: dict[str, float] = {"Tech": 0.0, "Career": 0.0, "Education": 0.0}
CATEGORY_SHARE = (0.5, 0.3, 0.2)
SUBJECT_EFFECT: dict[str, float] = {"programming": 0.0, "data analytics": 0.6, "cloud": 0.0, "career advice": 0.0}
SUBJECT_SHARE = (0.4, 0.25, 0.2, 0.15)
#: Rare levels and how many videos carry them (all <= 5: the study's reduction drops them).
RARE_CATEGORIES = {"Vlog": 3, "Comedy": 2}
RARE_SUBJECTS = {"python memes": 4, "hardware": 1}
NOISE_SD = 0.35
MISSING_RATE = {"watchedFullVideo": 0.06, "newFollowers": 0.04}


@dataclass
class SynthVideos:
    """The file's values, the truth behind them and which cells were blanked to zero."""

    frame: pd.DataFrame  # the 14 columns as written (zeros = missing)
    complete: pd.DataFrame  # the same before blanking: what a perfect recording would show
    missing: pd.DataFrame  # bool mask of blanked cells (columns of MISSING_RATE)
    seed: int

    def true_coefficients(self, category_baseline: str, subject_baseline: str) -> dict[str, float]:
        """Per-unit truth for every term of the fitted model, given the dummy baselines.

        A dummy's coefficient is its level's effect minus the baseline's, and the intercept takes
        up the baseline levels' effects; null columns and levels have a true coefficient of 0.
        """
        truth = {"const": INTERCEPT + CATEGORY_EFFECT[category_baseline] + SUBJECT_EFFECT[subject_baseline]}
        truth.update({c: PER_UNIT.get(c, 0.0) for c in COLUMNS if c in PER_UNIT or c in NULL_COLUMNS})
        for name, effects, baseline in (
            ("category", CATEGORY_EFFECT, category_baseline),
            ("subject", SUBJECT_EFFECT, subject_baseline),
        ):
            truth.update({f"{name}_{lvl}": eff - effects[baseline] for lvl, eff in effects.items() if lvl != baseline})
        return truth


def _levels(
    rng: np.random.Generator, rows: int, shares: tuple[float, ...], common: list[str], rare: dict[str, int]
) -> np.ndarray:
    """Common levels drawn by share, then the rare ones planted at fixed counts in random rows."""
    values = rng.choice(np.array(common, dtype=object), size=rows, p=np.array(shares))
    planted = rng.choice(rows, size=sum(rare.values()), replace=False)
    values[planted] = np.repeat(np.array(list(rare), dtype=object), list(rare.values()))
    return values


def generate_videos(rows: int = 194, seed: int = 0) -> SynthVideos:
    """Vectorised generator; 194 rows is the study's size. Needs ``rows >= 30`` for the rare levels."""
    if rows < 30:
        raise ValueError("rows must be at least 30")
    rng = np.random.default_rng(seed)
    date = pd.Timestamp("2021-03-01") + pd.to_timedelta(np.sort(rng.integers(0, max(rows // 3, 1), rows)), unit="D")
    length = np.clip(np.round(rng.lognormal(np.log(35), 0.6, rows)), 5, 180)
    views = np.round(rng.lognormal(np.log(3000), 0.6, rows)) + 50
    engagement = rng.lognormal(0.0, 0.4, rows)  # per-video appeal shared by likes/saves (nulls)
    likes = rng.poisson(views * 0.06 * engagement)
    saves = rng.poisson(views * 0.004 * engagement)
    comments = rng.poisson(views * 0.002 * rng.lognormal(0.0, 0.5, rows))
    shares = rng.poisson(views * 0.003 * rng.lognormal(0.0, 0.5, rows))
    watched_share = rng.beta(2.0, 3.0, rows)
    avg_watch = np.round(length * np.clip(watched_share + rng.normal(0, 0.05, rows), 0.05, 0.98), 1)
    watched_full = np.round(np.clip(100 * watched_share**1.5 + rng.normal(0, 3, rows), 0.5, 99), 1)
    for_you = np.round(rng.uniform(40, 99, rows), 1)
    total_play = np.round(views * avg_watch * rng.lognormal(0.0, 0.1, rows))
    category = _levels(rng, rows, CATEGORY_SHARE, list(CATEGORY_EFFECT), RARE_CATEGORIES)
    subject = _levels(rng, rows, SUBJECT_SHARE, list(SUBJECT_EFFECT), RARE_SUBJECTS)
    complete = pd.DataFrame(
        {
            "date": date.strftime("%Y-%m-%d"),
            "length": length.astype(np.int64),
            "views": views.astype(np.int64),
            "likes": likes,
            "comments": comments,
            "shares": shares,
            "saves": saves,
            "avgWatchTime": avg_watch,
            "watchedFullVideo": watched_full,
            "newFollowers": 0,
            "category": category,
            "subject": subject,
            "forYouPct": for_you,
            "totalPlayTime": total_play.astype(np.int64),
        }
    )
    signal = INTERCEPT + sum(coef * complete[col].to_numpy(float) for col, coef in PER_UNIT.items())
    signal += np.array([CATEGORY_EFFECT.get(c, 0.0) for c in category])
    signal += np.array([SUBJECT_EFFECT.get(s, 0.0) for s in subject])
    log_followers = signal + rng.normal(0.0, NOISE_SD, rows)
    # >= 1: a real zero would be indistinguishable from "not recorded".
    complete["newFollowers"] = np.maximum(np.round(np.expm1(log_followers)), 1).astype(np.int64)
    missing = pd.DataFrame({col: rng.random(rows) < rate for col, rate in MISSING_RATE.items()})
    frame = complete.copy()
    for col in MISSING_RATE:
        frame.loc[missing[col], col] = 0
    return SynthVideos(frame=frame, complete=complete, missing=missing, seed=seed)


def write_videos(path: str | os.PathLike[str], rows: int = 194, seed: int = 0) -> SynthVideos:
    """Generate and write the study-format CSV atomically."""
    synth = generate_videos(rows, seed)
    write_csv(path, synth.frame)
    return synth
