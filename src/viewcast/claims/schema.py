"""The claims table: its columns, and turning user tables or JSON records into clean typed frames.

The study's CSV has one row per video. Training and evaluation need the label; prediction does not.
Every problem (missing column or field, text in a count, negative count, unknown label) becomes a
:class:`DataValidationError` naming the file or field, row and column, so the CLI exits 2 with a
message a user can act on, before anything is written.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.io.tables import find_columns, numeric_column, read_table

LABEL = "claim_status"
TEXT = "video_transcription_text"
VERIFIED = "verified_status"
BAN = "author_ban_status"
COUNTS = (
    "video_view_count",
    "video_like_count",
    "video_share_count",
    "video_download_count",
    "video_comment_count",
)
ROW_NUMBER = "#"
VIDEO_ID = "video_id"
DURATION = "video_duration_sec"
OPTIONAL_NUMERIC = (ROW_NUMBER, VIDEO_ID, DURATION)
CLASSES = ("claim", "opinion")  # index 1 = opinion = the positive class, as in the study
POSITIVE = "opinion"
INPUT_FIELDS = (TEXT, VERIFIED, BAN, *COUNTS)
ALIASES = {LABEL: ("label", "class"), TEXT: ("transcript", "text"), ROW_NUMBER: ("row", "index")}


def _canonical(frame: pd.DataFrame, source: str | os.PathLike[str], with_label: bool) -> pd.DataFrame:
    """Typed frame with canonical column names; optional columns kept when present."""
    wanted = ([LABEL] if with_label else []) + list(INPUT_FIELDS)
    mapping = find_columns(frame, wanted, source, ALIASES)
    lookup = {c.lower().replace(" ", "").replace("_", ""): c for c in frame.columns}
    for name in OPTIONAL_NUMERIC:
        key = name.lower().replace("_", "")
        if key in lookup:
            mapping[name] = lookup[key]
    out = pd.DataFrame(index=range(len(frame)))
    raw = frame.reset_index(drop=True)
    if with_label:
        labels = raw[mapping[LABEL]].astype("string").str.strip().str.lower()
        bad = labels.notna() & ~labels.isin(CLASSES)
        if bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataValidationError(
                f"{source}, row {first + 2}, column {mapping[LABEL]!r}: label {raw[mapping[LABEL]].iloc[first]!r} "
                f"is not one of {', '.join(CLASSES)}"
            )
        out[LABEL] = labels.astype(object)
    out[TEXT] = _text_column(raw[mapping[TEXT]])
    for name in (VERIFIED, BAN):
        out[name] = raw[mapping[name]].astype("string").str.strip().str.lower().fillna("").astype(str)
    for name in COUNTS:
        out[name] = numeric_column(raw, mapping[name], source, allow_negative=False, allow_missing=True)
    for name in OPTIONAL_NUMERIC:
        if name in mapping:
            out[name] = numeric_column(raw, mapping[name], source, allow_missing=True)
    # blank rows (no label) are dropped later; any other row needs all its counts
    needed = out[LABEL].notna() if with_label else pd.Series(True, index=out.index)
    for name in COUNTS:
        missing = out[name].isna() & needed
        if missing.any():
            first = int(np.flatnonzero(missing.to_numpy())[0])
            raise DataValidationError(f"{source}, row {first + 2}, column {mapping[name]!r}: value is missing")
    return out


def _text_column(values: pd.Series) -> pd.Series:
    """Transcripts as plain strings; a missing transcript is an empty one (the model copes)."""
    return values.astype("string").fillna("").astype(str)


def load_claims(path: str | os.PathLike[str], *, with_label: bool = True) -> pd.DataFrame:
    """Read a claims table (CSV/JSONL/Parquet) into canonical typed columns.

    Rows without a label are dropped (the study's source table has such blank rows); the number
    dropped is in ``frame.attrs['dropped_unlabelled']``.
    """
    frame = _canonical(read_table(path, "claims data"), path, with_label)
    dropped = 0
    if with_label:
        keep = frame[LABEL].notna()
        dropped = int((~keep).sum())
        frame = frame[keep].reset_index(drop=True)
        if frame.empty:
            raise DataValidationError(f"{path}: no row has a label in {LABEL!r}")
        if frame[LABEL].nunique() < 2:
            raise DataValidationError(f"{path}: only one class ({frame[LABEL].iloc[0]!r}); need both claim and opinion")
    frame.attrs["dropped_unlabelled"] = dropped
    return frame


def counts_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The five counts as a float (rows, 5) array (column by column: list indexing is slow for one row)."""
    return np.column_stack([frame[name].to_numpy(dtype=np.float64) for name in COUNTS])


def labels_to_int(frame: pd.DataFrame) -> np.ndarray:
    """1 for opinion (positive class), 0 for claim."""
    return (frame[LABEL].to_numpy() == POSITIVE).astype(np.int64)


def record_to_frame(record: Any, source: str = "--json") -> pd.DataFrame:
    """Validate one JSON video record (a mapping of field -> value) and return a one-row frame.

    Missing fields, wrong types (text that is not a string, a count that is not a number) and
    negative counts raise with the field's name. Extra fields are ignored.
    """
    if not isinstance(record, Mapping):
        raise DataValidationError(f"{source}: expected a JSON object with fields {', '.join(INPUT_FIELDS)}")
    missing = [name for name in INPUT_FIELDS if name not in record]
    if missing:
        raise DataValidationError(f"{source}: missing field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}")
    row: dict[str, Any] = {}
    text = record[TEXT]
    if text is not None and not isinstance(text, str):
        raise DataValidationError(f"{source}: field {TEXT!r} must be a string, got {type(text).__name__}")
    row[TEXT] = text or ""
    for name in (VERIFIED, BAN):
        value = record[name]
        if value is not None and not isinstance(value, str):
            raise DataValidationError(f"{source}: field {name!r} must be a string, got {type(value).__name__}")
        row[name] = (value or "").strip().lower()
    for name in COUNTS:
        row[name] = _count_value(record[name], name, source)
    return pd.DataFrame({name: [value] for name, value in row.items()})


def _count_value(value: Any, name: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (Real, str)) or value is None:
        raise DataValidationError(f"{source}: field {name!r} must be a number, got {type(value).__name__}")
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "").strip())
        except ValueError:
            raise DataValidationError(f"{source}: field {name!r} must be a number, got {value!r}") from None
    number = float(value)
    if not math.isfinite(number):
        raise DataValidationError(f"{source}: field {name!r} must be finite, got {value!r}")
    if number < 0:
        raise DataValidationError(f"{source}: field {name!r} is negative ({value!r}); counts cannot be negative")
    return number
