"""Synthetic MovieLens-format ratings at any size, with the structure real request logs have.

Real MovieLens (26 M ratings) cannot be downloaded here, so benchmarks and tests use this
generator. Each movie gets a Zipf-distributed popularity weight and a release date (many before
the log starts, like the classics users rate years later). Its request intensity is a long-lived
base level plus a burst at release that decays exponentially; each request's day of the week is
re-drawn from a weekly pattern (weekend uplift). Everything is vectorised numpy, and the
files are written with Arrow's C++ CSV writer. Titles include the awkward cases of the real file:
no year, extra parentheses ("a.k.a."), and year ranges of series.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from viewcast.io.outputs import output_folder
from viewcast.popularity.movielens import GENRES

DAY = 86_400
WEEKLY = np.array([0.85, 0.8, 0.85, 0.9, 1.05, 1.3, 1.25])  # Monday .. Sunday
START = pd.Timestamp("1996-01-01").value // 10**9
END = pd.Timestamp("2018-01-01").value // 10**9
MAX_ROWS = 1_000_000_000  # about 40 GB of memory: far beyond any log this machine holds
MAX_MOVIES = 10_000_000


@dataclass
class SynthRatings:
    """The generated tables and the truth behind them."""

    movies: pd.DataFrame  # movieId, title, genres
    ratings: pd.DataFrame  # userId, movieId, rating, timestamp
    popularity: np.ndarray  # Zipf weight per movie (sums to 1)
    release: np.ndarray  # release timestamp per movie
    decay_days: np.ndarray  # e-folding time of the release burst per movie


def generate_ratings(
    rows: int = 100_000, movies: int = 2_000, seed: int = 0, start: int = START, end: int = END, zipf: float = 1.0
) -> SynthRatings:
    """Draw ``rows`` ratings of ``movies`` movies between ``start`` and ``end`` (epoch seconds)."""
    if rows < 1 or movies < 1:
        raise ValueError("rows and movies must be positive")
    if end <= start:
        raise ValueError("end must be after start")
    rng = np.random.default_rng(seed)
    span = end - start
    weight = 1.0 / np.arange(1, movies + 1) ** zipf
    weight = rng.permutation(weight / weight.sum())
    release = (start - 0.5 * span + rng.uniform(0, 1.5, movies) * span).astype(np.int64)
    release = np.minimum(release, end - DAY)
    decay = rng.lognormal(np.log(30.0), 0.6, movies) * DAY  # release burst lasts about a month
    base, peak = 1.0, rng.lognormal(np.log(40.0), 0.5, movies)
    # Mass of each movie's intensity over [start, end]: base level after release plus the burst.
    visible = np.maximum(release, start)
    base_mass = base * (end - visible) / DAY
    burst_mass = peak * (decay / DAY) * (np.exp(-(visible - release) / decay) - np.exp(-(end - release) / decay))
    mass = weight * (base_mass + burst_mass)
    movie = rng.choice(movies, size=rows, p=mass / mass.sum())
    timestamp = _draw_times(rng, movie, visible, release, decay, end, burst_mass / (base_mass + burst_mass))
    users = max(1, rows // 150)
    user = np.minimum(rng.zipf(1.3, rows), users).astype(np.int64)
    user = (user * 7919 + rng.integers(0, users, rows)) % users + 1
    quality = rng.normal(3.5, 0.5, movies)
    rating = np.clip(np.round((quality[movie] + rng.normal(0, 0.9, rows)) * 2) / 2, 0.5, 5.0)
    ratings = pd.DataFrame({"userId": user, "movieId": movie + 1, "rating": rating, "timestamp": timestamp})
    return SynthRatings(
        movies=_movies_table(rng, release),
        ratings=ratings,
        popularity=weight,
        release=release,
        decay_days=decay / DAY,
    )


def _draw_times(rng, movie, visible, release, decay, end, burst_share) -> np.ndarray:
    """Sample each request's time from its movie's intensity, then apply the weekly pattern."""
    n = movie.size
    lo, hi = visible[movie], np.full(n, end, dtype=np.int64)
    uniform = lo + rng.random(n) * (hi - lo)
    # Truncated exponential from the release (inverse CDF restricted to [visible, end]).
    tau, rel = decay[movie], release[movie]
    a, b = np.exp(-(lo - rel) / tau), np.exp(-(hi - rel) / tau)
    with np.errstate(divide="ignore"):  # a == b == 0 for long-forgotten releases: burst share is 0
        burst = rel - tau * np.log(a - rng.random(n) * (a - b))
    t = np.where(rng.random(n) < burst_share[movie], np.nan_to_num(burst, posinf=end), uniform).astype(np.int64)
    # Weekly seasonality: move a share of requests from weekdays to the weekend by re-drawing the
    # day of week (keeps the row count exact, unlike thinning).
    day = t // DAY
    weekday = rng.choice(7, size=n, p=WEEKLY / WEEKLY.sum())  # Monday = 0
    residue = (weekday - 3) % 7  # epoch day 0 (1970-01-01) was a Thursday
    t = t + (residue - day % 7) * DAY
    return np.clip(t, lo, hi - 1)


def _movies_table(rng: np.random.Generator, release: np.ndarray) -> pd.DataFrame:
    n = release.size
    year = pd.to_datetime(release, unit="s").year.to_numpy()
    ids = np.arange(1, n + 1)
    titles = np.array([f"Movie {i} ({y})" for i, y in zip(ids, year)], dtype=object)
    aka = ids % 37 == 0
    titles[aka] = [f"Movie {i} (a.k.a. Film {i}) ({y})" for i, y in zip(ids[aka], year[aka])]
    series = ids % 53 == 0
    titles[series] = [f"Series {i} ({y}– )" for i, y in zip(ids[series], year[series])]
    no_year = ids % 97 == 0
    titles[no_year] = [f"Movie {i}" for i in ids[no_year]]
    picks = rng.random((n, len(GENRES))) < 2.0 / len(GENRES)
    genres = np.array(["|".join(g for g, on in zip(GENRES, row) if on) or "(no genres listed)" for row in picks])
    return pd.DataFrame({"movieId": ids, "title": titles, "genres": genres})


def decaying_counts(seed: int = 0, movies: int = 60, slots: int = 120) -> pd.DataFrame:
    """Per-slot request counts with a learnable pattern: slot, movieId, count (one row per nonzero cell).

    Each movie is released at a random slot and its expected requests decay geometrically (0.8
    per slot) above a floor of 0.3; counts are Poisson noise around that curve, so the last
    slot's share is a noisy guess and a model that learns the decay does better.
    """
    rng = np.random.default_rng(seed)
    release = rng.integers(-20, slots - 5, movies)
    peak = rng.lognormal(2.5, 0.6, movies)
    age = np.arange(slots)[:, None] - release[None, :]
    rate = np.where(age >= 0, peak * 0.8 ** np.maximum(age, 0) + 0.3, 0.0)
    counts = rng.poisson(rate)
    slot, movie = np.nonzero(counts)
    return pd.DataFrame({"slot": slot, "movieId": movie + 1, "count": counts[slot, movie]})


def flash_crowd_ratings(
    rows: int = 100_000, movies: int = 1_883, seed: int = 0, bursts: int = 2_000, start: int = 1_420_416_000, weeks: int = 104
) -> pd.DataFrame:
    """A stress log unlike MovieLens: half Zipf(1) background, half in ``bursts`` flash crowds.

    Each crowd is one movie (drawn Zipf(0.6)) requested about ``rows / 2 / bursts`` times within an
    exponential span of about 12 hours: strong short-term locality, which recency policies (ARC,
    LIRS) exploit and weekly slot features cannot see. Default start: Monday 2015-01-05.
    """
    rng = np.random.default_rng(seed)
    span = weeks * 7 * DAY
    background = 1.0 / np.arange(1, movies + 1)
    movie = rng.choice(movies, rows // 2, p=rng.permutation(background / background.sum()))
    timestamp = start + rng.integers(0, span, rows // 2)
    crowd = 1.0 / np.arange(1, movies + 1) ** 0.6
    crowd_movie = rng.choice(movies, bursts, p=rng.permutation(crowd / crowd.sum()))
    crowd_start = start + rng.integers(0, span - 3 * DAY, bursts)
    crowd_length = rng.exponential(12 * 3600, bursts) + 600
    size = rng.multinomial(rows - rows // 2, np.full(bursts, 1.0 / bursts))
    offsets = (rng.random(size.sum()) * np.repeat(crowd_length, size)).astype(np.int64)
    movie = np.concatenate([movie, np.repeat(crowd_movie, size)])
    timestamp = np.concatenate([timestamp, np.repeat(crowd_start, size) + offsets])
    return pd.DataFrame(
        {"userId": rng.integers(1, 5_000, movie.size), "movieId": movie + 1, "rating": 3.0, "timestamp": timestamp}
    )


def ratings_from_counts(counts: pd.DataFrame, slot_seconds: int = DAY, origin: int = 0) -> pd.DataFrame:
    """Per-slot counts -> one rating per request (userId, movieId, rating, timestamp) inside its slot."""
    repeat = counts.loc[counts.index.repeat(counts["count"])]
    offset = repeat.groupby(["slot", "movieId"]).cumcount().to_numpy() % slot_seconds
    timestamp = origin + repeat["slot"].to_numpy() * slot_seconds + offset
    return pd.DataFrame({"userId": 1, "movieId": repeat["movieId"].to_numpy(), "rating": 3.0, "timestamp": timestamp})


def write_movielens(synth: SynthRatings, out: str | os.PathLike[str]) -> Path:
    """Write ``movies.csv``, ``ratings.csv``, ``tags.csv`` and ``links.csv`` as MovieLens does (the folder appears whole)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    ids = synth.movies["movieId"]
    tables = {
        "movies.csv": synth.movies,
        "ratings.csv": synth.ratings,
        "tags.csv": pd.DataFrame({"userId": [1], "movieId": [int(ids.iloc[0])], "tag": ["synthetic"], "timestamp": [START]}),
        "links.csv": pd.DataFrame({"movieId": ids, "imdbId": ids + 100_000, "tmdbId": ids}),
    }
    with output_folder(out, kind="movielens-synth") as folder:
        for name, frame in tables.items():
            table = pa.Table.from_pandas(frame, preserve_index=False)
            pacsv.write_csv(table, str(folder.file(name)), pacsv.WriteOptions(quoting_header="none"))
    return Path(out)
