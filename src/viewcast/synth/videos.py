"""Synthetic per-video analytics in the follower-drivers study's 14-column schema, from a known truth.

The study hand-copied 194 videos from TikTok's analytics screen (``date, length, views, likes,
comments, shares, saves, avgWatchTime, watchedFullVideo, newFollowers, category, subject,
forYouPct, totalPlayTime``). This generator writes the same schema with realistic dependencies
(likes, saves, comments and shares scale with views; watch times depend on the length and a
per-video retention; total play time is views × average watch time) and a target drawn from a
stated model on the scale the regression estimates:

    log1p(newFollowers) = intercept + sum(per_unit[c] · c) + sum(elasticity[c] · log1p(c))
                          + category_effect + subject_effect + N(0, noise_sd²)

Two truths are built in (:data:`TRUTHS`):

* ``log`` (issue 13): followers grow with log views (elasticity 0.6) and log shares (0.3), fall
  with length (−0.015 per second), and subject "data analytics" adds 0.5; everything else is a
  *null* feature, correlated with the drivers but without an effect of its own;
* ``study``: the study's findings on the raw scale (per view, per share, per second...).

``play_time`` makes total play time either the realistic product views × average watch time with
10% noise (an alias on the log scale) or an exact linear copy, 30 × views (an alias on any scale).
As in the study, a zero in ``watchedFullVideo`` or ``newFollowers`` means "not recorded", and a few
categories/subjects are too rare to estimate (they exercise the level reduction).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from viewcast.io.outputs import output_file

COLUMNS = [
    "date", "length", "views", "likes", "comments", "shares", "saves", "avgWatchTime",
    "watchedFullVideo", "newFollowers", "category", "subject", "forYouPct", "totalPlayTime",
]  # fmt: skip
NUMERIC = [
    "length",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "avgWatchTime",
    "watchedFullVideo",
    "forYouPct",
    "totalPlayTime",
]
PlayTime = Literal["product", "copy"]
#: Seconds of play per view when ``play_time="copy"``.
COPY_FACTOR = 30


@dataclass(frozen=True)
class Truth:
    """A generator's ground truth on the scale the model estimates: log1p(newFollowers)."""

    name: str
    intercept: float
    per_unit: dict[str, float]  # effect of one raw unit of the column
    elasticity: dict[str, float]  # effect of one unit of log1p(column)
    category_effect: dict[str, float]  # common levels only; the others have effect 0
    subject_effect: dict[str, float]
    noise_sd: float


LOG_TRUTH = Truth(
    name="log",
    intercept=-1.4,
    per_unit={"length": -0.015},
    elasticity={"views": 0.6, "shares": 0.3},
    category_effect={"Tech": 0.0, "Career": 0.0, "Education": 0.0},
    subject_effect={"programming": 0.0, "data analytics": 0.5, "cloud": 0.0, "career advice": 0.0},
    noise_sd=0.35,
)
STUDY_TRUTH = Truth(
    name="study",
    intercept=3.8,
    per_unit={"length": -0.012, "views": 1e-4, "comments": 0.04, "shares": 0.025, "watchedFullVideo": -0.025},
    elasticity={},
    category_effect={"Tech": 0.0, "Career": 0.0, "Education": 0.0},
    subject_effect={"programming": 0.0, "data analytics": 0.6, "cloud": 0.0, "career advice": 0.0},
    noise_sd=0.35,
)
TRUTHS = {truth.name: truth for truth in (LOG_TRUTH, STUDY_TRUTH)}
CATEGORY_SHARE = (0.5, 0.3, 0.2)
SUBJECT_SHARE = (0.4, 0.25, 0.2, 0.15)
#: Rare levels and how many videos carry them (all <= 5: the default reduction drops them).
RARE_CATEGORIES = {"Vlog": 3, "Comedy": 2}
RARE_SUBJECTS = {"python memes": 4, "hardware": 1}
MISSING_RATE = {"watchedFullVideo": 0.06, "newFollowers": 0.04}
MIN_ROWS = 30


@dataclass
class SynthVideos:
    """The file's values, the truth behind them and which cells were blanked to zero."""

    frame: pd.DataFrame  # the 14 columns as written (zeros = missing)
    complete: pd.DataFrame  # the same before blanking: what a perfect recording would show
    missing: pd.DataFrame  # bool mask of blanked cells (columns of MISSING_RATE)
    truth: Truth
    seed: int
    signal: np.ndarray  # the noise-free mean of log1p(newFollowers) per video

    def true_coefficients(self, category_baseline: str, subject_baseline: str) -> dict[str, float]:
        """Per-unit truth of every term of a model with the given dummy baselines.

        Columns with an elasticity are per unit of log1p (a model on the log scale), the others per
        raw unit. A dummy's coefficient is its level's effect minus the baseline's, and the
        intercept takes up the baseline levels' effects; null columns and levels have 0.
        """
        truth = self.truth
        coefficients = {
            "const": truth.intercept + truth.category_effect[category_baseline] + truth.subject_effect[subject_baseline]
        }
        coefficients.update({c: truth.per_unit.get(c, truth.elasticity.get(c, 0.0)) for c in NUMERIC})
        for name, effects, baseline in (
            ("category", truth.category_effect, category_baseline),
            ("subject", truth.subject_effect, subject_baseline),
        ):
            coefficients.update({f"{name}_{lvl}": eff - effects[baseline] for lvl, eff in effects.items() if lvl != baseline})
        return coefficients

    def drivers(self, category_baseline: str = "Tech", subject_baseline: str = "programming") -> dict[str, int]:
        """The terms with a true effect and its sign (+1 or -1)."""
        coefficients = self.true_coefficients(category_baseline, subject_baseline)
        return {t: int(np.sign(v)) for t, v in coefficients.items() if t != "const" and v != 0.0}


def _levels(
    rng: np.random.Generator, rows: int, shares: tuple[float, ...], common: list[str], rare: dict[str, int]
) -> np.ndarray:
    """Common levels drawn by share, then the rare ones planted at fixed counts in random rows."""
    values = rng.choice(np.array(common, dtype=object), size=rows, p=np.array(shares))
    planted = rng.choice(rows, size=sum(rare.values()), replace=False)
    values[planted] = np.repeat(np.array(list(rare), dtype=object), list(rare.values()))
    return values


def generate_videos(rows: int = 194, seed: int = 0, effects: str = "log", play_time: PlayTime = "product") -> SynthVideos:
    """Vectorised generator; 194 rows is the study's size. Needs ``rows >= 30`` for the rare levels."""
    if rows < MIN_ROWS:
        raise ValueError(f"rows must be at least {MIN_ROWS}")
    truth = TRUTHS[effects]
    rng = np.random.default_rng(seed)
    date = pd.Timestamp("2021-03-01") + pd.to_timedelta(np.sort(rng.integers(0, max(rows // 3, 1), rows)), unit="D")
    length = np.clip(np.round(rng.lognormal(np.log(35), 0.6, rows)), 5, 180)
    views = np.round(rng.lognormal(np.log(3000), 0.6, rows)) + 50
    engagement = rng.lognormal(0.0, 0.4, rows)  # per-video appeal shared by likes and saves
    likes = rng.poisson(views * 0.06 * engagement)
    saves = rng.poisson(views * 0.004 * engagement)
    comments = rng.poisson(views * 0.002 * rng.lognormal(0.0, 0.5, rows))
    shares = rng.poisson(views * 0.003 * rng.lognormal(0.0, 0.5, rows))
    watched_share = rng.beta(2.0, 3.0, rows)
    avg_watch = np.round(length * np.clip(watched_share + rng.normal(0, 0.05, rows), 0.05, 0.98), 1)
    watched_full = np.round(np.clip(100 * watched_share**1.5 + rng.normal(0, 3, rows), 0.5, 99), 1)
    for_you = np.round(rng.uniform(40, 99, rows), 1)
    product = views * avg_watch * rng.lognormal(0.0, 0.1, rows)
    total_play = np.round(product) if play_time == "product" else COPY_FACTOR * views
    category = _levels(rng, rows, CATEGORY_SHARE, list(truth.category_effect), RARE_CATEGORIES)
    subject = _levels(rng, rows, SUBJECT_SHARE, list(truth.subject_effect), RARE_SUBJECTS)
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
    signal = truth.intercept + sum(b * complete[c].to_numpy(float) for c, b in truth.per_unit.items())
    signal += sum(b * np.log1p(complete[c].to_numpy(float)) for c, b in truth.elasticity.items())
    signal += np.array([truth.category_effect.get(c, 0.0) for c in category])
    signal += np.array([truth.subject_effect.get(s, 0.0) for s in subject])
    log_followers = signal + rng.normal(0.0, truth.noise_sd, rows)
    # >= 1: a real zero would be indistinguishable from "not recorded".
    complete["newFollowers"] = np.maximum(np.round(np.expm1(log_followers)), 1).astype(np.int64)
    missing = pd.DataFrame({col: rng.random(rows) < rate for col, rate in MISSING_RATE.items()})
    frame = complete.copy()
    for col in MISSING_RATE:
        frame.loc[missing[col], col] = 0
    return SynthVideos(frame=frame, complete=complete, missing=missing, truth=truth, seed=seed, signal=signal)


def write_videos(
    path: str | os.PathLike[str], rows: int = 194, seed: int = 0, effects: str = "log", play_time: PlayTime = "product"
) -> SynthVideos:
    """Generate and write the study-format CSV (whole or not at all)."""
    synth = generate_videos(rows, seed, effects, play_time)
    with output_file(path, param="out") as temp:
        synth.frame.to_csv(temp, index=False)
    return synth
