"""Preparation of MovieLens ratings: slots, shares, join, genres, years, windows, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from viewcast.popularity.movielens import GENRE_COLUMNS, genre_flags, release_years
from viewcast.popularity.prepare import PrepareConfig, prepare
from viewcast.synth.ratings import generate_ratings, write_movielens

DAY = 86_400


def write_folder(folder: Path, ratings: list[tuple[int, int, float, int]] | str, movies: str | None = None) -> Path:
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


def hand_made(folder: Path) -> Path:
    """Days 0..4; shares per day: d0 1:.5 2:.5, d1 1:1, d3 1:.75 2:.25, d4 2:1 (no requests on d2)."""
    rows = [(1, 1, 4.0, 10), (2, 1, 5.0, 20), (1, 2, 3.0, 30), (3, 2, 2.0, 40), (1, 1, 4.0, DAY + 5)]
    rows += [(u, 1, 3.0, 3 * DAY + u) for u in range(3)] + [(9, 2, 1.0, 3 * DAY + 50), (9, 2, 4.5, 4 * DAY)]
    return write_folder(folder, rows)


def test_release_year_parsing_handles_missing_years_and_extra_parentheses():
    titles = pd.Series(
        [
            "Toy Story (1995)",
            "Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)",
            "Babylon 5",
            "Great Performances (Something) ",
            "Cosmos (1980– )",
            "Stranger Things (2016-2019)",
            "1984 (1956)",
            "Movie (2011)  ",
        ]
    )
    assert release_years(titles).tolist() == [1995, 1995, pd.NA, pd.NA, 1980, 2016, 1956, 2011]


def test_genre_parsing_is_multi_hot_over_the_movielens_list():
    flags = genre_flags(pd.Series(["Action|Sci-Fi", "(no genres listed)", "Children's|Comedy", "Film-Noir"]))
    assert list(flags.columns) == list(GENRE_COLUMNS)
    assert flags.loc[0, ["genre_action", "genre_sci_fi"]].tolist() == [1, 1] and flags.loc[0].sum() == 2
    assert flags.loc[1].sum() == 0
    assert flags.loc[2, ["genre_children", "genre_comedy"]].tolist() == [1, 1] and flags.loc[2].sum() == 2
    assert flags.loc[3, "genre_film_noir"] == 1


@pytest.mark.parametrize(
    "slot, timestamps, expected",
    [
        ("hourly", [0, 3599, 3600, 7 * 3600 + 1], [0, 0, 1, 7]),
        ("daily", [0, DAY - 1, DAY, 10 * DAY + 5], [0, 0, 1, 10]),
        # 1970-01-01 was a Thursday: weeks start Monday, so Jan 1-4 are week 0 and Monday Jan 5 is week 1.
        ("weekly", [0, 3 * DAY + 86_399, 4 * DAY, 11 * DAY], [0, 0, 1, 2]),
        ("monthly", [0, 31 * DAY - 1, 31 * DAY, 1_262_304_000], [0, 0, 1, 480]),  # 2010-01-01 -> 40 years
        ("yearly", [0, 1_262_303_999, 1_262_304_000], [1970, 2009, 2010]),
    ],
)
def test_slot_ids_from_timestamps(tmp_path, slot, timestamps, expected):
    folder = write_folder(tmp_path / "d", [(1, i % 3 + 1, 3.0, t) for i, t in enumerate(timestamps)])
    prepared = prepare(folder, PrepareConfig(slot=slot, window=1))
    try:
        counts = prepared.counts()
    finally:
        prepared.close()
    assert sorted(counts["slot"].unique().tolist()) == sorted(set(expected))
    starts = counts.groupby("slot")["slot_start"].first()
    first = pd.Timestamp(min(timestamps), unit="s")
    assert starts.iloc[0] <= first < starts.iloc[0] + pd.Timedelta(days=400)


def test_counts_shares_and_join_on_hand_made_data(tmp_path):
    prepared = prepare(hand_made(tmp_path / "d"), PrepareConfig(slot="daily", window=2))
    try:
        counts = prepared.counts()
        meta = prepared.meta
    finally:
        prepared.close()
    got = {(r.slot, r.movieId): (r.count, round(r.share, 4), r.avg_rating) for r in counts.itertuples()}
    assert got == {
        (0, 1): (2, 0.5, 4.5),
        (0, 2): (2, 0.5, 2.5),
        (1, 1): (1, 1.0, 4.0),
        (3, 1): (3, 0.75, 3.0),
        (3, 2): (1, 0.25, 1.0),
        (4, 2): (1, 1.0, 4.5),
    }
    assert np.allclose(counts.groupby("slot")["share"].sum(), 1.0)
    movie1 = counts[counts["movieId"] == 1].iloc[0]
    assert movie1["year"] == 1995 and movie1["genre_animation"] == 1 and movie1["genre_drama"] == 0
    movie2 = counts[counts["movieId"] == 2].iloc[0]
    assert movie2["year"] == 1995 and movie2["genre_crime"] == 1 and movie1["genre_id"] != movie2["genre_id"]
    assert meta["ratings"] == 10 and meta["windows_records"] == 2 and meta["windows_slots"] == 6


def test_windows_records_and_slots_on_hand_made_data(tmp_path):
    folder = hand_made(tmp_path / "d")
    expected = {
        "records": [(1, 3, 0.5, 1.0, 0.75), (2, 4, 0.5, 0.25, 1.0)],
        "slots": [
            (1, 2, 0.5, 1.0, 0.0), (1, 3, 1.0, 0.0, 0.75), (1, 4, 0.0, 0.75, 0.0),
            (2, 2, 0.5, 0.0, 0.0), (2, 3, 0.0, 0.0, 0.25), (2, 4, 0.0, 0.25, 1.0),
        ],
    }  # fmt: skip
    for mode, rows in expected.items():
        prepared = prepare(folder, PrepareConfig(slot="daily", window=2, windows=mode))
        try:
            windows = prepared.windows()
        finally:
            prepared.close()
        assert list(windows.columns) == ["movieId", "slot", "lag_2", "lag_1", "target"]
        got = [tuple(round(float(v), 4) for v in row) for row in windows.itertuples(index=False)]
        assert got == [tuple(float(v) for v in row) for row in rows], mode


def pandas_reference(folder: Path, window: int, mode: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The straightforward pandas version of the preparation (daily slots)."""
    ratings = pd.read_csv(folder / "ratings.csv")
    ratings["slot"] = ratings["timestamp"] // DAY
    counts = ratings.groupby(["slot", "movieId"]).agg(count=("rating", "size"), avg_rating=("rating", "mean")).reset_index()
    counts["share"] = counts["count"] / counts.groupby("slot")["count"].transform("sum")
    series = counts[["movieId", "slot", "share"]]
    if mode == "slots":
        last = counts["slot"].max()
        firsts = counts.groupby("movieId")["slot"].min()
        grid = pd.DataFrame([(m, s) for m, f in firsts.items() for s in range(f, last + 1)], columns=["movieId", "slot"])
        series = grid.merge(series, on=["movieId", "slot"], how="left").fillna({"share": 0.0})
    series = series.sort_values(["movieId", "slot"]).reset_index(drop=True)
    grouped = series.groupby("movieId")["share"]
    windows = series[["movieId", "slot"]].copy()
    for k in range(window, 0, -1):
        windows[f"lag_{k}"] = grouped.shift(k)
    windows["target"] = series["share"]
    windows = windows[grouped.cumcount() >= window].reset_index(drop=True)
    return counts.sort_values(["slot", "movieId"]).reset_index(drop=True), windows


@pytest.mark.parametrize("mode", ["records", "slots"])
def test_duckdb_equals_pandas_reference(tmp_path, mode):
    synth = generate_ratings(rows=3_000, movies=60, seed=3, start=1_300_000_000, end=1_300_000_000 + 60 * DAY)
    folder = write_movielens(synth, tmp_path / "d")
    prepared = prepare(folder, PrepareConfig(slot="daily", window=3, windows=mode))
    try:
        counts, windows = prepared.counts(), prepared.windows()
    finally:
        prepared.close()
    ref_counts, ref_windows = pandas_reference(folder, 3, mode)
    pd.testing.assert_frame_equal(
        counts[["slot", "movieId", "count", "avg_rating", "share"]], ref_counts, check_dtype=False, atol=1e-12
    )
    pd.testing.assert_frame_equal(windows, ref_windows, check_dtype=False, atol=1e-12)
    assert len(windows) > 100


def test_prepare_cli_writes_parquet_and_meta(tmp_path, run_cli):
    folder = hand_made(tmp_path / "d")
    code, out, err = run_cli(
        "popularity", "prepare", "--data", folder, "--slot", "daily", "--window", "2", "--out", tmp_path / "p"
    )
    assert code == 0, err
    assert "2 records-style, 6 slots-style" in " ".join(out.split())
    windows = pd.read_parquet(tmp_path / "p" / "windows.parquet")
    assert len(windows) == 2 and (windows["slot"] > windows["movieId"] * 0).all()
    assert len(pd.read_parquet(tmp_path / "p" / "counts.parquet")) == 6
    assert len(pd.read_parquet(tmp_path / "p" / "movies.parquet")) == 3


@pytest.mark.parametrize(
    "ratings, movies, message",
    [
        (None, None, "ratings file not found"),
        ("userId,movieId,timestamp\n1,1,5\n", None, "missing column 'rating'"),
        (
            "userId,movieId,rating,timestamp\n1,1,4,100\n1,2,3,yesterday\n",
            None,
            "row 3, column 'timestamp': 'yesterday' is not a number",
        ),
        ("userId,movieId,rating,timestamp\n", None, "no ratings"),
        ("", None, "file is empty"),
        ("userId,movieId,rating,timestamp\n1,1,4,-5\n", None, "row 2, column 'timestamp': '-5' is negative"),
        ("userId,movieId,rating,timestamp\n1,1,4,5\n1,1.5,4,5\n", None, "row 3, column 'movieId': '1.5' is not a whole number"),
        ("userId,movieId,rating,timestamp\n1,1,4,5\n1,2,4,\n", None, "row 3, column 'timestamp': value is missing"),
        ("userId,movieId,rating,timestamp\n1,1,4,100\n", "movieId,title\n1,A\n", "missing column 'genres'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path, run_cli, ratings, movies, message):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "movies.csv").write_text(movies or "movieId,title,genres\n1,A (2000),Drama\n2,B,Comedy\n")
    if ratings is not None:
        (folder / "ratings.csv").write_text(ratings)
    code, _, err = run_cli("popularity", "prepare", "--data", folder, "--out", tmp_path / "out")
    assert code == 2
    assert message in " ".join(err.split())
    assert not (tmp_path / "out").exists()


def test_missing_data_folder_and_bad_option(tmp_path, run_cli):
    code, _, err = run_cli("popularity", "prepare", "--data", tmp_path / "nope", "--out", tmp_path / "o")
    assert code == 2 and "data folder not found" in err
    code, _, err = run_cli(
        "popularity", "prepare", "--data", hand_made(tmp_path / "d"), "--slot", "fortnightly", "--out", tmp_path / "o"
    )
    assert code == 2 and "slot" in err and "fortnightly" in err


def test_real_movielens_small_weekly(shared_data_dir, tmp_path):
    folder = shared_data_dir / "movielens" / "ml-latest-small"
    prepared = prepare(folder, PrepareConfig(slot="weekly", window=10))
    try:
        counts = prepared.counts()
        meta = prepared.meta
    finally:
        prepared.close()
    assert meta["ratings"] == 100_004 and counts["count"].sum() == 100_004
    assert np.allclose(counts.groupby("slot")["share"].sum(), 1.0)
    assert meta["movies_rated"] == counts["movieId"].nunique() == 9_066
    assert meta["windows_slots"] > meta["windows_records"] > 0


def test_generator_has_zipf_popularity_release_dates_and_weekly_seasonality(tmp_path, run_cli):
    synth = generate_ratings(rows=200_000, movies=300, seed=5)
    ratings = synth.ratings
    per_movie = ratings["movieId"].value_counts().reindex(np.arange(1, 301), fill_value=0).to_numpy()
    top = np.argsort(-synth.popularity)[:30]  # the 10 % most popular by construction
    assert per_movie[top].sum() > 0.4 * len(ratings)
    assert (ratings["timestamp"].to_numpy() >= synth.release[ratings["movieId"].to_numpy() - 1]).all()
    weekday = pd.to_datetime(ratings["timestamp"], unit="s").dt.dayofweek.value_counts(normalize=True)
    assert weekday[[5, 6]].min() > weekday[[0, 1, 2]].max()  # weekend uplift
    years = release_years(synth.movies["title"])
    assert years.isna().sum() == 3  # movies 97, 194, 291 have no year in the title
    code, out, err = run_cli(
        "data", "synth", "ratings", "--rows", "500", "--movies", "20", "--seed", "1", "--out", tmp_path / "g"
    )
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["links.csv", "movies.csv", "ratings.csv", "tags.csv"]
    assert (tmp_path / "g" / "ratings.csv").read_text().splitlines()[0] == "userId,movieId,rating,timestamp"
    assert len(pd.read_csv(tmp_path / "g" / "ratings.csv")) == 500
