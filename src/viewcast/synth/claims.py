"""Synthetic videos in the claims schema, with the study's shortcuts built in (or not).

Claims are written as "<someone> <reported> <somewhere> that <fact>", opinions as "<someone>
<believes> that <fact>", so the label is in the framing, as in the real data. ``leaky=True``
reproduces the real table's shortcuts: claims get 1,000-1,000,000 views and opinions 20-10,000,
and the ``#`` column is sorted by class. With ``leaky=False`` both classes share one count
distribution and rows are shuffled, so a model can only learn the text.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from viewcast.io.outputs import output_file

CLAIM_SUBJECTS = ("a friend", "a colleague", "someone", "i")
CLAIM_VERBS = ("read", "learned", "discovered", "heard")
CLAIM_SOURCES = ("in the media", "on the news", "online", "in a report", "on a website", "on the radio")
OPINION_FRAMES = (
    "my friends think",
    "my family believes",
    "i feel",
    "our view is",
    "my colleagues are convinced",
    "i am willing to bet",
    "my impression is",
    "we believe",
)
FACTS = (
    "octopuses have three hearts",
    "honey never spoils",
    "bananas are berries",
    "the moon drifts away from earth",
    "sharks are older than trees",
    "venus spins backwards",
    "a day on mars lasts about 25 hours",
    "snails can sleep for three years",
    "the eiffel tower grows in summer",
    "cows have best friends",
    "lightning is hotter than the sun",
    "wombat droppings are cube shaped",
    "koalas sleep most of the day",
    "the heart of a shrimp is in its head",
    "sloths can hold their breath for forty minutes",
    "hot water can freeze faster than cold water",
    "a cloud can weigh a million pounds",
    "ants never sleep",
)
COLUMNS = (
    "#",
    "claim_status",
    "video_id",
    "video_duration_sec",
    "video_transcription_text",
    "verified_status",
    "author_ban_status",
    "video_view_count",
    "video_like_count",
    "video_share_count",
    "video_download_count",
    "video_comment_count",
)


def generate_claims(n: int = 2000, seed: int = 0, leaky: bool = True) -> pd.DataFrame:
    """``n`` labelled videos (half claims) in the study's column order."""
    if n < 2:
        raise ValueError("n must be at least 2")
    rng = np.random.default_rng(seed)
    is_claim = np.arange(n) < (n + 1) // 2
    texts = []
    for claim in is_claim:
        fact = FACTS[rng.integers(len(FACTS))]
        if claim:
            parts = (
                CLAIM_SUBJECTS[rng.integers(len(CLAIM_SUBJECTS))],
                CLAIM_VERBS[rng.integers(len(CLAIM_VERBS))],
                CLAIM_SOURCES[rng.integers(len(CLAIM_SOURCES))],
            )
            texts.append(f"{' '.join(parts)} that {fact}")
        else:
            texts.append(f"{OPINION_FRAMES[rng.integers(len(OPINION_FRAMES))]} that {fact}")
    if leaky:
        views = np.where(is_claim, rng.integers(1_000, 1_000_000, n), rng.integers(20, 10_000, n))
    else:
        views = rng.integers(20, 1_000_000, n)
    likes = np.round(views * rng.uniform(0.0, 0.6, n))
    frame = pd.DataFrame(
        {
            "#": np.arange(1, n + 1),
            "claim_status": np.where(is_claim, "claim", "opinion"),
            "video_id": rng.integers(1_000_000_000, 9_999_999_999, n),
            "video_duration_sec": rng.integers(5, 61, n),
            "video_transcription_text": texts,
            "verified_status": np.where(rng.random(n) < 0.07, "verified", "not verified"),
            "author_ban_status": rng.choice(["active", "under review", "banned"], n, p=[0.8, 0.11, 0.09]),
            "video_view_count": views,
            "video_like_count": likes.astype(np.int64),
            "video_share_count": np.round(likes * rng.uniform(0.0, 0.3, n)).astype(np.int64),
            "video_download_count": np.round(likes * rng.uniform(0.0, 0.02, n)).astype(np.int64),
            "video_comment_count": np.round(likes * rng.uniform(0.0, 0.008, n)).astype(np.int64),
        }
    )
    if not leaky:
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        frame["#"] = np.arange(1, n + 1)
    return frame[list(COLUMNS)]


def write_claims(path: str | os.PathLike[str], n: int = 2000, seed: int = 0, leaky: bool = True) -> pd.DataFrame:
    """Generate and write a CSV (whole or not at all)."""
    frame = generate_claims(n, seed, leaky)
    with output_file(path, param="out") as temp:
        frame.to_csv(temp, index=False)
    return frame
