"""The MovieLens catalogue: genres as multi-hot, release year from the title, input checks.

MovieLens titles end in the release year, "Toy Story (1995)", but not always: some have no year,
some carry extra parentheses ("Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)"), series carry
a range ("Cosmos (1980– )"), and some have trailing spaces. Only a four-digit year in the *last*
parentheses counts. Genres are a ``|``-separated string over a fixed list; the study also used the
whole string as one categorical id, which we keep next to the multi-hot columns.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.io.tables import find_columns, numeric_column, read_table

GENRES = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
GENRE_ALIASES = {"Children's": "Children"}  # spelling of the older MovieLens releases
NO_GENRES = "(no genres listed)"
_YEAR = re.compile(r"\((\d{4})(?:\s*[-–]\s*(?:\d{4})?\s*)?\)\s*$")


def genre_column(genre: str) -> str:
    """Column name of a genre's multi-hot flag: ``Sci-Fi`` -> ``genre_sci_fi``."""
    return "genre_" + re.sub(r"[^a-z0-9]+", "_", genre.lower()).strip("_")


GENRE_COLUMNS = tuple(genre_column(g) for g in GENRES)


def release_years(titles: pd.Series) -> pd.Series:
    """Year in the title's last parentheses (nullable ``Int64``; missing when there is none)."""
    found = titles.astype("string").str.extract(_YEAR, expand=False)
    return pd.to_numeric(found, errors="coerce").astype("Int64")


def genre_flags(genres: pd.Series) -> pd.DataFrame:
    """Multi-hot ``uint8`` frame over :data:`GENRES` (unknown names and ``(no genres listed)`` -> 0)."""
    parts = genres.fillna("").astype(str).str.split("|")
    known = parts.map(lambda names: {GENRE_ALIASES.get(n.strip(), n.strip()) for n in names})
    return pd.DataFrame(
        {column: known.map(lambda names, g=genre: g in names).astype(np.uint8) for genre, column in zip(GENRES, GENRE_COLUMNS)},
        index=genres.index,
    )


def read_movies(path: str | Path) -> pd.DataFrame:
    """``movies.csv`` -> movieId, title, genres, genre_id (whole string), year, genre_* flags."""
    frame = read_table(path, "movies")
    cols = find_columns(frame, ["movieId", "title", "genres"], path, aliases={"movieId": ["movie_id", "movie"]})
    movie_id = numeric_column(frame, cols["movieId"], path, allow_negative=False)
    if (movie_id % 1 != 0).any():
        raise DataValidationError(f"{path}, column {cols['movieId']!r}: movie ids must be whole numbers")
    genres = frame[cols["genres"]].fillna(NO_GENRES).astype(str).str.strip()
    movies = pd.DataFrame(
        {"movieId": movie_id.astype(np.int64), "title": frame[cols["title"]].fillna("").astype(str), "genres": genres}
    )
    duplicated = movies["movieId"].duplicated()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise DataValidationError(f"{path}, row {first + 2}: movieId {movies['movieId'].iloc[first]} appears twice")
    codes = {name: i for i, name in enumerate(sorted(genres.unique()))}
    movies["genre_id"] = genres.map(codes).astype(np.int32)
    movies["year"] = release_years(movies["title"])
    return pd.concat([movies, genre_flags(genres)], axis=1)


RATING_COLUMNS = ("movieId", "rating", "timestamp")


def ratings_header(path: str | Path) -> dict[str, str]:
    """Check that ``ratings.csv`` exists and has the columns we need; map them to the file's names."""
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(f"{path}: ratings file not found")
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: file is empty")
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(handle), [])
    frame = pd.DataFrame(columns=[h.strip() for h in header])
    return find_columns(frame, list(RATING_COLUMNS), path, aliases={"movieId": ["movie_id", "movie"]})
