"""Ratings in many files: per-file counts on Dask workers, merged, give the single file's prepared data."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from viewcast.compute import BackendConfig
from viewcast.errors import DataValidationError
from viewcast.popularity.config import PrepareConfig
from viewcast.popularity.data import COUNTS_FILE, META_FILE, WINDOWS_FILE, prepare
from viewcast.popularity.partitioned import ratings_partitions
from viewcast.synth.ratings import DAY, START, generate_ratings, write_movielens

RATED = 0.3  # share of the ratings given without a star value (a request that was only watched)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The same ratings as one ratings.csv and as a ratings/ folder of CSV and Hive-style Parquet files."""
    root = tmp_path_factory.mktemp("partitioned")
    single = write_movielens(generate_ratings(3_000, 50, 2, start=START, end=START + 90 * DAY), root / "single")
    ratings = pd.read_csv(single / "ratings.csv")
    ratings.loc[ratings.sample(frac=RATED, random_state=0).index, "rating"] = np.nan
    ratings.to_csv(single / "ratings.csv", index=False)
    parted = root / "parted"
    (parted / "ratings").mkdir(parents=True)
    shutil.copy(single / "movies.csv", parted / "movies.csv")
    shuffled = ratings.sample(frac=1.0, random_state=1)
    for k in range(5):
        part = shuffled.iloc[k * 600 : (k + 1) * 600]
        if k < 2:
            part.to_csv(parted / "ratings" / f"part-{k}.csv", index=False)
        else:
            (parted / "ratings" / f"month={k}").mkdir()
            part.to_parquet(parted / "ratings" / f"month={k}" / "part-0.parquet", index=False)
    (parted / "ratings" / "_SUCCESS").write_text("")
    return single, parted


def _tables(prepared) -> dict[str, pd.DataFrame]:
    ts, movies = prepared.requests(0)
    requests = pd.DataFrame({"ts": ts, "movieId": movies}).sort_values(["ts", "movieId"], ignore_index=True)
    return {"counts": prepared.counts(), "windows": prepared.windows(), "requests": requests}


@pytest.fixture(scope="module")
def single_run(folders):
    with prepare(folders[0], PrepareConfig(slot="daily")) as prepared:
        return _tables(prepared), dict(prepared.meta)


def _assert_same(ours: dict, theirs: dict) -> None:
    for name in ("counts", "windows", "requests"):
        pd.testing.assert_frame_equal(ours[name], theirs[name], check_exact=False, rtol=1e-12, atol=0)
    exact = [c for c in ours["counts"].columns if c != "avg_rating"]
    pd.testing.assert_frame_equal(ours["counts"][exact], theirs["counts"][exact], check_exact=True)


def test_partitions_on_dask_give_the_single_files_prepared_data(folders, single_run, dask_config):
    single, meta = single_run
    files = ratings_partitions(folders[1])  # by path; _SUCCESS is not a ratings file
    assert [f.relative_to(folders[1] / "ratings").as_posix() for f in files] == [
        "month=2/part-0.parquet", "month=3/part-0.parquet", "month=4/part-0.parquet", "part-0.csv", "part-1.csv",
    ]  # fmt: skip
    with prepare(folders[1], PrepareConfig(slot="daily"), dask_config) as prepared:
        on_dask, dask_meta = _tables(prepared), dict(prepared.meta)
    with prepare(folders[1], PrepareConfig(slot="daily")) as prepared:
        here = _tables(prepared)
    _assert_same(on_dask, single)
    _assert_same(here, single)
    assert single["counts"]["count"].sum() == 3_000 and single["counts"]["avg_rating"].notna().any()
    skip = {"data", "seconds_prepare", "ratings_files"}
    assert {k: v for k, v in dask_meta.items() if k not in skip} == {k: v for k, v in meta.items() if k not in skip}
    assert dask_meta["ratings_files"] == 5


def test_the_command_writes_the_same_counts_on_dask(folders, dask_options, run_cli, tmp_path):
    code, _, err = run_cli("popularity", "prepare", "--data", folders[0], "--out", tmp_path / "single")
    assert code == 0, err
    code, _, err = run_cli(
        "popularity", "prepare", "--data", folders[1], "--out", tmp_path / "dask", "--backend", "dask",
        "--scheduler", dask_options["scheduler"],
    )  # fmt: skip
    assert code == 0, err
    for name in (COUNTS_FILE, WINDOWS_FILE):
        ours, theirs = (pd.read_parquet(tmp_path / d / name) for d in ("dask", "single"))
        order = ["slot", "movieId"] if name == COUNTS_FILE else ["movieId", "slot"]
        ours, theirs = (t.sort_values(order, ignore_index=True) for t in (ours, theirs))
        pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-12, atol=0)
    assert (tmp_path / "dask" / META_FILE).exists()


def test_a_bad_cell_in_one_partition_names_its_file(folders, dask_config, tmp_path):
    parted = shutil.copytree(folders[1], tmp_path / "bad")
    (parted / "ratings" / "part-1.csv").write_text("userId,movieId,rating,timestamp\n1,7,4,826000000\n1,x,4,826000000\n")
    with pytest.raises(DataValidationError, match="part-1.csv.*movieId"):
        prepare(parted, PrepareConfig(), dask_config)
    broken = parted / "ratings" / "month=2" / "part-0.parquet"
    pd.DataFrame({"movieId": [1.5], "timestamp": [826000000]}).to_parquet(broken)
    (parted / "ratings" / "part-1.csv").unlink()
    with pytest.raises(DataValidationError, match=r"month=2.*part-0.parquet"):
        prepare(parted, PrepareConfig(), BackendConfig())


def test_a_ratings_folder_without_files_is_refused(folders, tmp_path):
    empty = tmp_path / "empty"
    (empty / "ratings").mkdir(parents=True)
    shutil.copy(folders[1] / "movies.csv", empty / "movies.csv")
    with pytest.raises(DataValidationError, match="no ratings files"):
        prepare(empty)
