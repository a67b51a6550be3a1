"""The MovieLens files: the catalogue (genres as multi-hot, release year from the title) and the
ratings header, with the checks that turn a bad file into one line naming file, row and column.

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
#: Largest item id accepted: ids stay exact in float64 (CSV numbers) and in JSON.
MAX_ITEM_ID = 2**53 - 1
#: Latest timestamp accepted (seconds since 1970): 9999-12-31 23:59:59 UTC.
MAX_TIMESTAMP = 253_402_300_799
ID_ALIASES = {"movieId": ["movie_id", "movie", "item", "itemId", "item_id"]}
RATINGS_FILE, MOVIES_FILE = "ratings.csv", "movies.csv"


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
    cols = find_columns(frame, ["movieId", "title", "genres"], path, aliases=ID_ALIASES)
    movie_id = numeric_column(frame, cols["movieId"], path, allow_negative=False, integer=True, maximum=MAX_ITEM_ID)
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


def ratings_columns(path: str | Path) -> tuple[dict[str, int], list[str]]:
    """Positions of movieId, timestamp and (optional) rating in ``ratings.csv``'s header, and the header.

    Positions, not names, reach DuckDB: nothing read from a file is ever pasted into SQL.
    """
    path = Path(path)
    if not path.exists():
        raise DataValidationError(f"{path}: ratings file not found")
    if path.is_dir():
        raise DataValidationError(f"{path}: is a folder, expected a ratings file")
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: file is empty")
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
        try:
            header = next(csv.reader(handle), [])
        except csv.Error as exc:
            raise DataValidationError(f"{path}: the header cannot be read as CSV ({exc})") from None
    names = [" ".join(str(h).split()) for h in header]
    found = find_columns(pd.DataFrame(columns=names), ["movieId", "timestamp"], path, aliases=ID_ALIASES)
    positions = {name: names.index(column) for name, column in found.items()}
    rating = [i for i, name in enumerate(names) if name.lower() == "rating"]
    if rating:
        positions["rating"] = rating[0]
    return positions, names
