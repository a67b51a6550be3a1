"""Ratings split over many files: per-partition slot counts (DuckDB, on Dask workers), merged.

A MovieLens folder may hold a ``ratings/`` folder instead of ``ratings.csv``: CSV files in the
MovieLens layout and/or Parquet files (with ``movieId``, ``timestamp`` and optional ``rating``
columns), at any depth (``ratings/year=2019/part-0.parquet`` as Hive-style writers lay them out).
Each file is a partition. A worker validates it with the checks of a single ``ratings.csv`` (every
bad cell is an error naming the file) and aggregates it per slot and movie in its own DuckDB:
requests, the sum of the ratings and how many there are. The client adds the partial counts up,
which gives the counts a single file gives, and builds the same prepared tables:
:class:`~viewcast.popularity.data.PreparedData`, saved as the same prepared folder.

Counts and shares are exact (sums of whole numbers); the average rating is the merged sum over the
merged count, equal to DuckDB's ``avg`` over one file up to the order of floating-point additions
(exact for MovieLens' half-star ratings, within 1e-12 relative otherwise).

The request stream the prepared folder keeps (``requests.parquet``, every rating in time order)
is all of the data: the client reads it from the files, in one streaming DuckDB pass.
"""

from __future__ import annotations

import functools
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from viewcast.compute import BackendConfig, run_partitions
from viewcast.errors import DataValidationError, ViewcastError
from viewcast.popularity.config import PrepareConfig, Slot
from viewcast.popularity.data import (
    PreparedData,
    _catalogue_frame,
    _describe,
    connect,
    load_ratings_csv,
    load_ratings_frame,
)
from viewcast.popularity.movielens import MOVIES_FILE, read_movies
from viewcast.popularity.slots import slot_sql

RATINGS_FOLDER = "ratings"
PARTITION_SUFFIXES = (".csv", ".parquet")
#: DuckDB threads per partition on a worker: the cluster's parallelism is its workers.
PARTITION_THREADS = 1


def is_partitioned(folder: Path) -> bool:
    """Whether a MovieLens folder keeps its ratings in a ``ratings/`` folder of files."""
    return (folder / RATINGS_FOLDER).is_dir()


def ratings_partitions(folder: Path) -> list[Path]:
    """The ratings files under ``folder/ratings`` by path (hidden files and other suffixes left out)."""
    root = folder / RATINGS_FOLDER
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in PARTITION_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not files:
        raise DataValidationError(f"{root}: no ratings files (expected {' or '.join(PARTITION_SUFFIXES)} files)", param="data")
    return files


def load_partition(con: Any, path: Path) -> None:
    """One validated ratings file into table ``raw(movieId, ts, rating)``; errors name the file."""
    if path.suffix.lower() == ".csv":
        load_ratings_csv(con, path)
        return
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow's many error kinds: the file is not readable Parquet
        raise DataValidationError(f"{path}: cannot be read as Parquet ({type(exc).__name__}: {exc})") from None
    try:
        load_ratings_frame(con, frame)
    except ViewcastError as exc:
        raise DataValidationError(f"{path}: {exc.message}") from None


def partition_counts(path: str, slot: Slot, memory_limit: str) -> Any:
    """On a worker: one file's requests per (slot, movie), with the sum and number of its ratings."""
    con, spill = connect(memory_limit, PARTITION_THREADS)
    try:
        load_partition(con, Path(path))
        return con.sql(
            f"""SELECT {slot_sql(slot, "t")} AS slot, movieId, count(*) AS count, sum(rating) AS rating_sum,
                count(rating) AS rated
            FROM (SELECT CAST(floor(ts) AS BIGINT) AS t, CAST(movieId AS BIGINT) AS movieId, rating FROM raw)
            GROUP BY ALL"""
        ).to_arrow_table()  # Arrow, not pandas: a movie without ratings keeps a NULL sum, not NaN
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def prepare_partitioned(folder: Path, config: PrepareConfig, backend: BackendConfig | None = None) -> PreparedData:
    """:func:`~viewcast.popularity.data.prepare` for a folder of ratings files, partitions on ``backend``."""
    files = ratings_partitions(folder)
    movies = read_movies(folder / MOVIES_FILE)
    started = time.perf_counter()
    count = functools.partial(partition_counts, slot=config.slot, memory_limit=config.memory_limit)
    partials = run_partitions(count, [str(f) for f in files], backend, what="ratings files")
    con, spill = connect(config.memory_limit, config.threads)
    prepared = PreparedData(connection=con, config=config, spill_dir=spill)
    try:
        _stream_requests(con, files)
        con.register("movies_frame", _catalogue_frame(movies))
        con.execute("CREATE TABLE movies AS SELECT * FROM movies_frame")
        con.unregister("movies_frame")
        merged = pa.concat_tables(partials)
        n_ratings = int(pc.sum(merged["count"]).as_py() or 0)
        if n_ratings == 0:
            raise DataValidationError(f"{folder / RATINGS_FOLDER}: the files have headers but no ratings")
        con.register("partials_frame", merged)
        con.execute(
            """CREATE TABLE counts AS
            WITH agg AS (
                SELECT slot, movieId, sum(count) AS count, sum(rating_sum) / nullif(sum(rated), 0) AS avg_rating
                FROM partials_frame GROUP BY ALL)
            SELECT a.slot, a.movieId, CAST(a.count AS INTEGER) AS count, a.avg_rating, a.count / t.total AS share
            FROM agg a JOIN (SELECT slot, sum(count) AS total FROM agg GROUP BY slot) t USING (slot)"""
        )
        con.unregister("partials_frame")
        prepared.meta = _describe(con, config, str(folder), n_ratings) | {"ratings_files": len(files)}
        prepared.meta["seconds_prepare"] = round(time.perf_counter() - started, 3)
        return prepared
    except BaseException:
        prepared.close()
        raise


def _stream_requests(con: Any, files: list[Path]) -> None:
    """Every file's ratings into table ``raw``, the request stream the prepared folder keeps."""
    con.execute("CREATE TABLE stream (movieId DOUBLE, ts DOUBLE, rating DOUBLE)")
    for path in files:
        load_partition(con, path)
        con.execute("INSERT INTO stream SELECT movieId, ts, rating FROM raw")
    con.execute("DROP TABLE raw")
    con.execute("ALTER TABLE stream RENAME TO raw")
