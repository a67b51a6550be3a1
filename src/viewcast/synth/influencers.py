"""Synthetic daily creator views in the study's messy CSV format.

Each creator gets a category, a starting audience, a growth rate, a weekly pattern (weekend
uplift), multiplicative log-normal noise and occasional viral spikes that decay over a few days —
the features of real creator traffic that break naive forecasts. The file is written exactly like
the study's ``tiktok_influencers_data.csv``: headers with stray spaces, numbers with thousands
separators, one row per creator per day ordered by day. The generator's ground truth is returned
too (:class:`SynthInfluencers`), so tests can check what a forecast should recover.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from viewcast.contracts import Config
from viewcast.io.outputs import write_file

#: Most rows one call writes (10,000 creators x 1,000 days): enough for any benchmark.
MAX_ROWS = 10_000_000
CATEGORIES = ("Fitness", "Fashion", "DIY", "Comedy", "Food", "Gaming", "Beauty", "Travel")
HEADER = ["Day", "TikTokerID", "Category", "  Views  ", " Likes ", "Followers  "]


@dataclass
class SynthInfluencers:
    """Clean values and the truth behind them (per-creator daily growth and weekly profile)."""

    frame: pd.DataFrame  # creator, category, day, views, likes, followers (numbers)
    growth: np.ndarray  # daily multiplicative growth per creator
    weekly: np.ndarray  # (creators, 7) multiplicative weekday profile, mean 1
    spike_days: list[tuple[int, int]]  # (creator, day) of viral spikes


class SynthOptions(Config):
    """Size, seed and day labels of a synthetic file, checked before anything is drawn."""

    creators: int = Field(10, ge=1, le=100_000)
    days: int = Field(50, ge=1, le=36_600)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    start_date: date | None = Field(None, description="ISO dates from this day instead of day numbers")

    @field_validator("start_date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise PydanticCustomError("date", "{value} is not a date (YYYY-MM-DD)", {"value": repr(value)}) from None
        return value

    @model_validator(mode="after")
    def _within_limits(self) -> SynthOptions:
        if self.creators * self.days > MAX_ROWS:
            raise PydanticCustomError("rows", f"{self.creators:,} creators x {self.days:,} days is more than {MAX_ROWS:,} rows")
        first, last = pd.Timestamp.min.date(), pd.Timestamp.max.date()
        if self.start_date is not None and not first < self.start_date <= date.fromordinal(last.toordinal() - self.days):
            raise PydanticCustomError(
                "dates", f"{self.days:,} days from {self.start_date} leave the dates pandas handles ({first} to {last})"
            )
        return self


def generate_influencers(creators: int = 10, days: int = 50, seed: int = 0) -> SynthInfluencers:
    """Vectorised generator; ``creators x days`` rows (10 x 50 = the study's 500)."""
    SynthOptions.parse(creators=creators, days=days, seed=seed)
    rng = np.random.default_rng(seed)
    day = np.arange(days)
    start = rng.lognormal(mean=np.log(2e6), sigma=0.5, size=creators)
    # The study's 50 days grow fast (about 4% a day); over years such growth is impossible, so long
    # series get a gentle drift of -0.1% to +0.3% a day instead.
    growth = rng.uniform(-0.001, 0.003, size=creators) if days > 120 else rng.uniform(0.02, 0.05, size=creators)
    amplitude = rng.uniform(0.05, 0.25, size=creators)
    weekly = 1 + amplitude[:, None] * np.cos(2 * np.pi * (np.arange(7)[None, :] - 5.5) / 7)  # weekend peak
    weekly /= weekly.mean(axis=1, keepdims=True)
    level = start[:, None] * np.exp(growth[:, None] * day[None, :])
    noise = rng.lognormal(mean=0.0, sigma=0.08, size=(creators, days))
    spikes = np.zeros((creators, days))
    spike_days: list[tuple[int, int]] = []
    for c in range(creators):
        for d in np.flatnonzero(rng.random(days) < 0.02):
            height = rng.uniform(1.0, 3.0)
            decay = np.exp(-(day[d:] - d) / rng.uniform(1.0, 3.0))
            spikes[c, d:] += height * decay
            spike_days.append((c + 1, int(d) + 1))
    views = np.round(level * weekly[:, day % 7] * noise * (1 + spikes))
    likes = np.round(views * rng.uniform(0.08, 0.4, size=(creators, 1)) * rng.lognormal(0, 0.1, size=(creators, days)))
    followers = np.round(rng.lognormal(np.log(2e6), 0.3, size=(creators, 1)) + np.cumsum(views * 0.002, axis=1))
    category = np.array([CATEGORIES[i] for i in rng.integers(0, len(CATEGORIES), size=creators)])
    frame = pd.DataFrame(
        {
            "day": np.tile(day + 1, creators),
            "creator": np.repeat(np.arange(1, creators + 1), days),
            "category": np.repeat(category, days),
            "views": views.ravel().astype(np.int64),
            "likes": likes.ravel().astype(np.int64),
            "followers": followers.ravel().astype(np.int64),
        }
    ).sort_values(["day", "creator"], kind="stable", ignore_index=True)
    return SynthInfluencers(frame=frame, growth=growth, weekly=weekly, spike_days=spike_days)


def to_study_csv(frame: pd.DataFrame, start_date: str | date | None = None) -> str:
    """Render the study's messy CSV: spaced headers, quoted numbers with thousands separators."""
    days = frame["day"]
    if start_date:
        days = (pd.Timestamp(start_date) + pd.to_timedelta(days - 1, unit="D")).dt.strftime("%Y-%m-%d")
    lines = [",".join(f'"{h}"' if h != h.strip() else h for h in HEADER)]
    numbers = {col: frame[col].map("{:,}".format) for col in ("views", "likes", "followers")}
    for i, d in enumerate(days):
        lines.append(
            f"{d},{frame['creator'].iat[i]},{frame['category'].iat[i]},"
            f'"{numbers["views"].iat[i]}","{numbers["likes"].iat[i]}","{numbers["followers"].iat[i]}"'
        )
    return "\n".join(lines) + "\n"


def write_influencers(
    path: str | os.PathLike[str], creators: int = 10, days: int = 50, seed: int = 0, start_date: str | date | None = None
) -> SynthInfluencers:
    """Generate and write one CSV file, whole (options are checked first)."""
    options = SynthOptions.parse(creators=creators, days=days, seed=seed, start_date=start_date)
    synth = generate_influencers(options.creators, options.days, options.seed)
    write_file(path, to_study_csv(synth.frame, options.start_date))
    return synth
