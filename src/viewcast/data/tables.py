"""Reading and checking user tables with messages that name file, row and column.

Every analysis reads CSV (or JSON lines / Parquet) written by people and spreadsheets, so the same
problems recur: headers with stray spaces, numbers with thousands separators, empty files, text in
numeric columns. These helpers turn each into a :class:`DataValidationError` whose message a user
can act on ("views.csv, row 17, column 'Views': 'n/a' is not a number"). Row numbers are the
line numbers a spreadsheet shows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError

_SPACES = re.compile(r"\s+")


def normalise_header(name: str) -> str:
    """Strip and collapse white space: ``"  Views  "`` -> ``"Views"``."""
    return _SPACES.sub(" ", str(name)).strip()


def read_table(path: str | os.PathLike[str], what: str = "data") -> pd.DataFrame:
    """Read CSV, JSON lines or Parquet as strings-as-read with normalised headers.

    Values stay as text (CSV/JSONL) so that :func:`numeric_column` can report exactly which cell is
    not a number instead of pandas silently turning the column into ``object`` or ``NaN``.
    """
    path = Path(path)
    if not path.exists():
        raise DataValidationError(f"{path}: {what} file not found")
    if path.is_dir():
        raise DataValidationError(f"{path}: is a directory, expected a {what} file")
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: file is empty")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in (".jsonl", ".ndjson"):
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: cannot be parsed as {suffix.lstrip('.') or 'csv'} ({exc})") from None
    frame.columns = [normalise_header(c) for c in frame.columns]
    if frame.empty:
        raise DataValidationError(f"{path}: has a header but no data rows")
    return frame


def find_columns(
    frame: pd.DataFrame, wanted: Sequence[str], source: str | os.PathLike[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> dict[str, str]:
    """Map canonical column names to the frame's columns, case-insensitively and with aliases.

    Raises one error listing every missing column and the columns that the file does have.
    """
    lookup = {c.lower().replace(" ", "").replace("_", ""): c for c in frame.columns}
    found: dict[str, str] = {}
    missing: list[str] = []
    for name in wanted:
        candidates = [name, *((aliases or {}).get(name, ()))]
        for candidate in candidates:
            key = candidate.lower().replace(" ", "").replace("_", "")
            if key in lookup:
                found[name] = lookup[key]
                break
        else:
            missing.append(name)
    if missing:
        raise DataValidationError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} "
            f"(found: {', '.join(repr(c) for c in frame.columns)})"
        )
    return found


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    source: str | os.PathLike[str],
    *,
    allow_negative: bool = True,
    allow_missing: bool = False,
) -> pd.Series:
    """Parse a column as float, accepting thousands separators; name the first bad cell."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype(float)
        bad_text = pd.Series(False, index=raw.index)
    else:
        text = raw.astype("string").str.strip().str.replace(",", "", regex=False).str.replace("_", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").astype(float)
        bad_text = values.isna() & text.notna() & (text != "")
    if bad_text.any():
        first = bad_text.to_numpy().nonzero()[0][0]
        raise DataValidationError(
            f"{source}, row {first + 2}, column {column!r}: {raw.iloc[first]!r} is not a number"
            + (f" ({int(bad_text.sum())} such cells)" if bad_text.sum() > 1 else "")
        )
    if not allow_missing and values.isna().any():
        first = values.isna().to_numpy().nonzero()[0][0]
        raise DataValidationError(f"{source}, row {first + 2}, column {column!r}: value is missing")
    if not np.isfinite(values.dropna()).all():
        first = (~np.isfinite(values.fillna(0))).to_numpy().nonzero()[0][0]
        raise DataValidationError(f"{source}, row {first + 2}, column {column!r}: value is not finite")
    if not allow_negative and (values < 0).any():
        first = (values < 0).to_numpy().nonzero()[0][0]
        raise DataValidationError(
            f"{source}, row {first + 2}, column {column!r}: negative value '{raw.iloc[first]}' "
            "(counts cannot be negative)"
        )
    return values


def rows_text(rows: Iterable[int], limit: int = 5) -> str:
    """``[0, 3]`` (0-based data rows) -> ``"rows 2, 5"`` as a spreadsheet numbers them."""
    rows = [int(r) + 2 for r in rows]
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"
