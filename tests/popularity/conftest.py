"""Small request logs (hand-made and generated), and one small trained run shared by the popularity tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from viewcast.io.persist import KEY_VARIABLE
from viewcast.synth.ratings import generate_ratings, write_movielens

DAY = 86_400
START = 1_300_000_000  # 2011-03-13
#: Settings that train in about a second on the small logs below.
FAST = {
    "window": 3, "hidden": 6, "group_size": 16, "groups_per_slot": 2, "max_epochs": 2, "patience": 2,
    "batch_size": 8, "cache_sizes": [0.05, 0.2], "policies": ["lru", "lfu", "belady", "belady_bypass"], "progress": False,
}  # fmt: skip


@pytest.fixture(autouse=True)
def _unsigned_models(monkeypatch):
    """Tests save and load unsigned folders unless they set a key themselves."""
    monkeypatch.delenv(KEY_VARIABLE, raising=False)


def _write_folder(folder: Path, ratings: list[tuple[int, int, float, int]] | str, movies: str | None = None) -> Path:
    """A MovieLens folder with the given ratings (rows or the whole ratings.csv text) and three movies."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "movies.csv").write_text(
        movies
        or "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children\n"
        '2,"Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)",Crime|Drama\n3,Untitled,(no genres listed)\n'
    )
    text = (
        ratings
        if isinstance(ratings, str)
        else "userId,movieId,rating,timestamp\n" + "".join(f"{u},{m},{r},{t}\n" for u, m, r, t in ratings)
    )
    (folder / "ratings.csv").write_text(text)
    return folder


def _hand_made(folder: Path) -> Path:
    """Days 0..4; shares per day: d0 1:.5 2:.5, d1 1:1, d3 1:.75 2:.25, d4 2:1 (no requests on d2)."""
    rows = [(1, 1, 4.0, 10), (2, 1, 5.0, 20), (1, 2, 3.0, 30), (3, 2, 2.0, 40), (1, 1, 4.0, DAY + 5)]
    rows += [(u, 1, 3.0, 3 * DAY + u) for u in range(3)] + [(9, 2, 1.0, 3 * DAY + 50), (9, 2, 4.5, 4 * DAY)]
    return _write_folder(folder, rows)


def _small_ratings(rows: int = 4_000, movies: int = 80, days: int = 120, seed: int = 2) -> pd.DataFrame:
    """Generated ratings over ``days`` days (daily slots: ``days`` slots)."""
    return generate_ratings(rows, movies, seed, start=START, end=START + days * DAY).ratings


@pytest.fixture
def write_folder():
    """``write_folder(folder, ratings, movies=None)``: a MovieLens folder (rows or the whole ratings.csv text)."""
    return _write_folder


@pytest.fixture
def hand_made():
    """``hand_made(folder)``: days 0..4; shares d0 1:.5 2:.5, d1 1:1, d3 1:.75 2:.25, d4 2:1 (none on d2)."""
    return _hand_made


@pytest.fixture
def fast() -> dict:
    """Settings that train in about a second on the small logs here."""
    return dict(FAST)


@pytest.fixture
def small_ratings():
    """``small_ratings(rows, movies, days, seed)``: generated ratings over ``days`` days."""
    return _small_ratings


@pytest.fixture(scope="session")
def ratings_folder(tmp_path_factory) -> Path:
    """A generated MovieLens folder: 4,000 ratings of 80 movies over 120 days."""
    folder = tmp_path_factory.mktemp("movielens") / "ml"
    write_movielens(generate_ratings(4_000, 80, 2, start=START, end=START + 120 * DAY), folder)
    return folder


@pytest.fixture(scope="session")
def prepared_folder(ratings_folder, tmp_path_factory) -> Path:
    from viewcast.popularity.config import PrepareConfig
    from viewcast.popularity.data import prepare

    out = tmp_path_factory.mktemp("prepared") / "daily"
    with prepare(ratings_folder, PrepareConfig(slot="daily", window=3)) as prepared:
        prepared.save(out)
    return out


@pytest.fixture(scope="session")
def trained(prepared_folder):
    """One small run on the prepared folder (the replay included)."""
    import viewcast

    return viewcast.popularity(prepared_folder, **FAST)


@pytest.fixture(scope="session")
def trained_folder(trained, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trained") / "run"
    trained.save(out)
    return out
