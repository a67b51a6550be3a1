"""Preparation of MovieLens ratings: slots, shares, join, genres, years, windows, the request stream, prepared folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from viewcast.errors import DataValidationError
from viewcast.io.outputs import MARKER
from viewcast.popularity.config import PrepareConfig
from viewcast.popularity.data import PREPARED_FILES, prepare, read_prepared, read_slot_counts
from viewcast.popularity.movielens import GENRE_COLUMNS, genre_flags, release_years
from viewcast.popularity.slots import max_slot, slot_of, slot_sql, slot_start
from viewcast.synth.ratings import generate_ratings, write_movielens

DAY = 86_400


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
def test_slot_ids_from_timestamps_agree_in_sql_numpy_and_preparation(tmp_path, write_folder, slot, timestamps, expected):
    import duckdb

    assert slot_of(np.array(timestamps), slot).tolist() == expected
    sql = (
        duckdb.connect().execute(f"SELECT {slot_sql(slot, 't')} FROM (SELECT unnest(?::BIGINT[]) AS t)", [timestamps]).fetchall()
    )
    assert [row[0] for row in sql] == expected
    for slot_id, seconds in zip(expected, timestamps):
        start = slot_start(slot_id, slot).timestamp()
        assert start <= seconds and slot_of(np.array([int(start)]), slot)[0] == slot_id
    folder = write_folder(tmp_path / "d", [(1, i % 3 + 1, 3.0, t) for i, t in enumerate(timestamps)])
    with prepare(folder, PrepareConfig(slot=slot, window=1)) as prepared:
        counts = prepared.counts()
    assert sorted(counts["slot"].unique().tolist()) == sorted(set(expected))
    first = counts.sort_values("slot").iloc[0]
    assert first["slot_start"] == pd.Timestamp(slot_start(int(first["slot"]), slot).replace(tzinfo=None))
    assert max_slot(slot) == slot_of(np.array([253_402_300_799]), slot)[0]


def test_counts_shares_and_join_on_hand_made_data(tmp_path, hand_made):
    with prepare(hand_made(tmp_path / "d"), PrepareConfig(slot="daily", window=2)) as prepared:
        counts, meta = prepared.counts(), prepared.meta
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


def test_windows_records_and_slots_on_hand_made_data(tmp_path, hand_made):
    folder = hand_made(tmp_path / "d")
    expected = {
        "records": [(1, 3, 0.5, 1.0, 0.75), (2, 4, 0.5, 0.25, 1.0)],
        "slots": [
            (1, 2, 0.5, 1.0, 0.0), (1, 3, 1.0, 0.0, 0.75), (1, 4, 0.0, 0.75, 0.0),
            (2, 2, 0.5, 0.0, 0.0), (2, 3, 0.0, 0.0, 0.25), (2, 4, 0.0, 0.25, 1.0),
        ],
    }  # fmt: skip
    for mode, rows in expected.items():
        with prepare(folder, PrepareConfig(slot="daily", window=2, windows=mode)) as prepared:
            windows = prepared.windows()
        assert list(windows.columns) == ["movieId", "slot", "lag_2", "lag_1", "target"]
        got = [tuple(round(float(v), 4) for v in row) for row in windows.itertuples(index=False)]
        assert got == [tuple(float(v) for v in row) for row in rows], mode


def pandas_reference(ratings: pd.DataFrame) -> pd.DataFrame:
    """The straightforward pandas version of the daily counts."""
    ratings = ratings.assign(slot=ratings["timestamp"] // DAY)
    counts = ratings.groupby(["slot", "movieId"]).agg(count=("rating", "size"), avg_rating=("rating", "mean")).reset_index()
    counts["share"] = counts["count"] / counts.groupby("slot")["count"].transform("sum")
    return counts.sort_values(["slot", "movieId"]).reset_index(drop=True)


def test_duckdb_equals_pandas_and_a_dataframe_equals_its_csv(tmp_path):
    synth = generate_ratings(rows=3_000, movies=60, seed=3, start=1_300_000_000, end=1_300_000_000 + 60 * DAY)
    folder = write_movielens(synth, tmp_path / "d")
    columns = ["slot", "movieId", "count", "avg_rating", "share"]
    with prepare(folder, PrepareConfig(slot="daily", window=3)) as prepared:
        from_csv = prepared.counts()
        log = prepared.slot_log()
        seconds, items = prepared.requests(log.origin + 30)
    reference = pandas_reference(synth.ratings)
    pd.testing.assert_frame_equal(from_csv[columns], reference, check_dtype=False, atol=1e-12)
    with prepare(synth.ratings, PrepareConfig(slot="daily")) as prepared:
        pd.testing.assert_frame_equal(prepared.counts()[columns], reference, check_dtype=False, atol=1e-12)
    assert log.count.sum() == 3_000 and log.n_items == reference["movieId"].nunique()
    later = synth.ratings[synth.ratings["timestamp"] // DAY >= log.origin + 30].sort_values(["timestamp", "movieId"])
    assert seconds.tolist() == later["timestamp"].tolist() and items.tolist() == later["movieId"].tolist()


def test_a_quote_in_the_path_is_only_a_character(tmp_path, hand_made):
    folder = hand_made(tmp_path / "it's; DROP TABLE raw; --")
    with prepare(folder, PrepareConfig(slot="daily", window=2)) as prepared:
        out = prepared.save(tmp_path / "o'ut")
    assert read_prepared(out).slot_log().count.sum() == 10


def test_prepared_folder_is_written_whole_and_read_back(tmp_path, hand_made):
    with prepare(hand_made(tmp_path / "d"), PrepareConfig(slot="daily", window=2)) as prepared:
        prepared.save(tmp_path / "p")
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == sorted([*PREPARED_FILES, MARKER])
    folder = read_prepared(tmp_path / "p")
    assert folder.slot == "daily" and folder.meta["ratings"] == 10
    log = folder.slot_log()
    assert log.items.tolist() == [1, 2] and log.totals.tolist() == [4, 1, 0, 4, 1]
    seconds, items = folder.requests(3)
    assert items.tolist() == [1, 1, 1, 2, 2] and seconds.tolist() == sorted(seconds.tolist())
    requests = pd.read_parquet(tmp_path / "p" / "requests.parquet")
    assert len(requests) == 10 and set(requests.columns) == {"ts", "movieId", "rating"}


def test_incomplete_or_foreign_prepared_folders_are_refused(tmp_path, hand_made):
    with prepare(hand_made(tmp_path / "d"), PrepareConfig(slot="daily", window=2)) as prepared:
        prepared.save(tmp_path / "p")
    for name, change, message in [
        ("no-meta", lambda p: (p / "meta.json").unlink(), "no meta.json"),
        ("no-counts", lambda p: (p / "counts.parquet").unlink(), "counts.parquet missing"),
        ("old", lambda p: (p / "meta.json").write_text(json.dumps({"slot": "daily"})), "not written by this viewcast"),
        ("bad-json", lambda p: (p / "meta.json").write_text("{"), "not valid JSON"),
        (
            "bad-slot",
            lambda p: (p / "meta.json").write_text(json.dumps({**json.loads((p / "meta.json").read_text()), "slot": "x"})),
            "slot 'x'",
        ),
    ]:
        copy = tmp_path / name
        shutil.copytree(tmp_path / "p", copy)
        change(copy)
        with pytest.raises(DataValidationError, match=message):
            read_prepared(copy)
    (tmp_path / "garbage").mkdir()
    shutil.copy(tmp_path / "p" / "meta.json", tmp_path / "garbage")
    for name in PREPARED_FILES[:-1]:
        (tmp_path / "garbage" / name).write_text("not parquet")
    with pytest.raises(DataValidationError, match="cannot be read"):
        read_prepared(tmp_path / "garbage").slot_log()


def test_newer_ratings_become_per_slot_counts(tmp_path, write_folder):
    folder = write_folder(
        tmp_path / "d", [(1, 5, 3.0, 2 * DAY + 1), (1, 5, 3.0, 2 * DAY + 9), (2, 7, 3.0, 2 * DAY), (1, 7, 4.0, 9 * DAY)]
    )
    slots, items, counts = read_slot_counts(folder, "daily")
    assert (
        slots.tolist() == [2, 9]
        and [i.tolist() for i in items] == [[5, 7], [7]]
        and [c.tolist() for c in counts] == [[2, 1], [1]]
    )
    assert read_slot_counts(folder / "ratings.csv", "weekly")[0].tolist() == [0, 1]


def test_real_movielens_small_weekly(shared_data_dir):
    folder = shared_data_dir / "movielens" / "ml-latest-small"
    with prepare(folder, PrepareConfig(slot="weekly", window=10)) as prepared:
        counts, meta = prepared.counts(), prepared.meta
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
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == sorted(
        ["links.csv", "movies.csv", "ratings.csv", "tags.csv", MARKER]
    )
    assert (tmp_path / "g" / "ratings.csv").read_text().splitlines()[0] == "userId,movieId,rating,timestamp"
    assert len(pd.read_csv(tmp_path / "g" / "ratings.csv")) == 500


def test_prepare_cli_writes_parquet_and_meta(tmp_path, run_cli, hand_made):
    folder = hand_made(tmp_path / "d")
    code, out, err = run_cli(
        "popularity", "prepare", "--data", folder, "--slot", "daily", "--window", "2", "--out", tmp_path / "p"
    )
    assert code == 0, err
    assert "2 records-style, 6 slots-style" in " ".join(out.split())
    assert len(pd.read_parquet(tmp_path / "p" / "windows.parquet")) == 2
    assert len(pd.read_parquet(tmp_path / "p" / "counts.parquet")) == 6
    assert len(pd.read_parquet(tmp_path / "p" / "movies.parquet")) == 3
    assert Path(tmp_path / "p" / MARKER).is_file()


def test_flash_crowd_ratings_put_half_the_requests_in_short_crowds():
    from viewcast.synth.ratings import flash_crowd_ratings

    frame = flash_crowd_ratings(rows=20_000, movies=300, seed=1, bursts=200, weeks=10)
    assert len(frame) == 20_000 and frame["movieId"].between(1, 300).all()
    start = 1_420_416_000
    assert frame["timestamp"].between(start, start + 10 * 7 * 86_400).all()

    def within_an_hour(part):
        gap = part.sort_values("timestamp").groupby("movieId")["timestamp"].diff().dropna()
        return (gap < 3_600).mean()

    assert within_an_hour(frame.iloc[10_000:]) > 0.9 and within_an_hour(frame.iloc[:10_000]) < 0.3  # crowds vs background
    assert within_an_hour(frame) > 0.45
    assert flash_crowd_ratings(rows=1_000, movies=50, seed=1, bursts=10).equals(
        flash_crowd_ratings(rows=1_000, movies=50, seed=1, bursts=10)
    )
