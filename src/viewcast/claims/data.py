"""The claims data contract: one raw video record, and turning tables or requests into clean frames.

The study's CSV has one row per video. Training and evaluation need the label; prediction does
not. Two kinds of input arrive here:

* tables (a path, or a DataFrame): read by :func:`viewcast.io.tables.read_table`, columns matched
  by name, every count parsed by :func:`~viewcast.io.tables.numeric_column` so that a bad cell is
  reported by file, row and column; extra columns are ignored (a table usually has some);
* requests (one JSON object, or a list of them): validated by :class:`VideoRecord`, a pydantic
  model the HTTP service reuses as its request schema; unknown fields are refused, since a
  misspelt field name would otherwise be silently ignored.

Either way a count must be a finite, non-negative number no larger than
:data:`~viewcast.io.tables.MAX_COUNT`, a transcript at most :data:`MAX_TEXT_LENGTH` characters,
and every problem is a :class:`~viewcast.errors.DataValidationError` naming where it is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from viewcast.errors import DataValidationError
from viewcast.io.tables import MAX_COUNT, column_key, find_columns, numeric_column, read_table

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

#: Longest transcript accepted (characters): a ten-minute video's transcript is ~10,000.
MAX_TEXT_LENGTH = 50_000
#: Longest author-status value accepted (characters).
MAX_STATUS_LENGTH = 100
#: Largest id or duration accepted (ids are 10-digit numbers in the study).
MAX_ID = 1e15


def _refuse_huge_integer(value: Any) -> Any:
    """A 400-digit integer gets a message about its size, not "not a valid number"."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_COUNT:
        raise ValueError(f"a {len(str(abs(value)))}-digit number is beyond {MAX_COUNT:.0e}, the largest count accepted")
    return value


Count = Annotated[
    float,
    Field(ge=0, le=MAX_COUNT, strict=True, allow_inf_nan=False, description="a count: a number from 0 to 1e15"),
    BeforeValidator(_refuse_huge_integer),
]
Status = Annotated[str | None, Field(max_length=MAX_STATUS_LENGTH, strict=True)]


class VideoRecord(BaseModel):
    """One raw video, as ``predict`` takes it (and as the service documents its request body).

    The transcript, the two author-status fields and the five engagement counts are required
    (the transcript and statuses may be ``null`` or empty; unknown statuses are allowed). Counts are
    JSON numbers, not strings. The id, duration and label of the study's table are accepted and
    never used for prediction; any other field is an error.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    video_transcription_text: str | None = Field(
        ..., max_length=MAX_TEXT_LENGTH, strict=True, description="the transcript (null or empty allowed)"
    )
    verified_status: Status = Field(..., description="author verification, e.g. 'verified' / 'not verified'")
    author_ban_status: Status = Field(..., description="author status, e.g. 'active', 'under review', 'banned'")
    video_view_count: Count
    video_like_count: Count
    video_share_count: Count
    video_download_count: Count
    video_comment_count: Count
    video_id: Annotated[float, Field(ge=0, le=MAX_ID, strict=True, allow_inf_nan=False)] | None = None
    video_duration_sec: Annotated[float, Field(ge=0, le=MAX_ID, strict=True, allow_inf_nan=False)] | None = None
    claim_status: Literal["claim", "opinion"] | None = Field(None, description="the label, if known (ignored)")
    row_number: Annotated[float, Field(ge=0, le=MAX_ID, strict=True, allow_inf_nan=False)] | None = Field(
        None, alias="#", description="the study's row number (ignored)"
    )


class Prediction(BaseModel):
    """What ``predict`` answers for one video (the service's response schema; ``predict`` returns plain dicts)."""

    label: Literal["claim", "opinion"]
    probability: float = Field(ge=0, le=1, description="probability of that label")
    p_opinion: float = Field(ge=0, le=1, description="probability of 'opinion' (the positive class)")


_RECORDS = TypeAdapter(list[VideoRecord])


def _canonical(frame: pd.DataFrame, source: str | os.PathLike[str], with_label: bool) -> pd.DataFrame:
    """Typed frame with canonical column names; optional columns kept when present."""
    wanted = ([LABEL] if with_label else []) + list(INPUT_FIELDS)
    mapping = find_columns(frame, wanted, source, ALIASES)
    lookup = {column_key(c): c for c in frame.columns}
    mapping.update({name: lookup[column_key(name)] for name in OPTIONAL_NUMERIC if column_key(name) in lookup})
    out = pd.DataFrame(index=range(len(frame)))
    raw = frame.reset_index(drop=True)
    if with_label:
        out[LABEL] = _labels(raw, mapping[LABEL], source)
    out[TEXT] = _text_column(raw, mapping[TEXT], source, MAX_TEXT_LENGTH)
    for name in (VERIFIED, BAN):
        out[name] = _normalised_category(_text_column(raw, mapping[name], source, MAX_STATUS_LENGTH))
    for name in COUNTS:
        out[name] = numeric_column(raw, mapping[name], source, allow_negative=False, allow_missing=True, maximum=MAX_COUNT)
    for name in OPTIONAL_NUMERIC:
        if name in mapping:
            out[name] = numeric_column(raw, mapping[name], source, allow_missing=True, maximum=MAX_ID)
    # blank rows (no label) are dropped later; any other row needs all its counts
    needed = out[LABEL].notna() if with_label else pd.Series(True, index=out.index)
    for name in COUNTS:
        missing = out[name].isna() & needed
        if missing.any():
            first = int(np.flatnonzero(missing.to_numpy())[0])
            raise DataValidationError(f"{source}, row {first + 2}, column {mapping[name]!r}: value is missing")
    return out


def _labels(raw: pd.DataFrame, column: str, source: object) -> pd.Series:
    labels = raw[column].astype("string").str.strip().str.lower()
    bad = labels.notna() & ~labels.isin(CLASSES)
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        shown = str(raw[column].iloc[first])[:40]
        raise DataValidationError(
            f"{source}, row {first + 2}, column {column!r}: label {shown!r} is not one of {', '.join(CLASSES)}"
        )
    return labels.astype(object)


def _text_column(raw: pd.DataFrame, column: str, source: object, limit: int) -> pd.Series:
    """A text column as plain strings (missing -> empty), refused where a cell is too long."""
    values = raw[column]
    if pd.api.types.infer_dtype(values, skipna=False) != "string":  # numbers, missing cells...
        values = values.astype("string").fillna("").astype(str)
    lengths = np.fromiter(map(len, values.to_numpy()), dtype=np.int64, count=len(values))
    if len(lengths) and lengths.max() > limit:
        first = int(np.argmax(lengths > limit))
        raise DataValidationError(
            f"{source}, row {first + 2}, column {column!r}: text of {lengths[first]:,} characters is longer than {limit:,}"
        )
    return values


def _normalised_category(values: pd.Series) -> pd.Series:
    """Stripped, lower-case category values (each distinct value normalised once: a batch has few)."""
    codes, distinct = pd.factorize(values)
    normalised = np.array([str(v).strip().lower() for v in distinct] + [""], dtype=object)
    return pd.Series(normalised[codes], index=values.index)


def load_claims(data: str | os.PathLike[str] | pd.DataFrame, *, with_label: bool = True) -> pd.DataFrame:
    """Read a claims table (a path to CSV/JSON/JSONL/Parquet/Excel, or a DataFrame) into canonical columns.

    Rows without a label are dropped (the study's source table has such blank rows); the number
    dropped is in ``frame.attrs['dropped_unlabelled']`` and the missing cells per column of the
    table as given in ``frame.attrs['missing']``.
    """
    raw, source = read_claims_table(data)
    frame = _canonical(raw, source, with_label)
    frame.attrs["missing"] = {str(column): int(n) for column, n in raw.isna().sum().items()}
    dropped = 0
    if with_label:
        keep = frame[LABEL].notna()
        dropped = int((~keep).sum())
        frame = frame[keep].reset_index(drop=True)
        if frame.empty:
            raise DataValidationError(f"{source}: no row has a label in {LABEL!r}")
        if frame[LABEL].nunique() < 2:
            raise DataValidationError(f"{source}: only one class ({frame[LABEL].iloc[0]!r}); need both claim and opinion")
    frame.attrs["dropped_unlabelled"] = dropped
    return frame


def read_claims_table(data: str | os.PathLike[str] | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The table as given, and how to name it in messages."""
    if isinstance(data, pd.DataFrame):
        if data.empty:
            raise DataValidationError("the table has no rows", param="data")
        return data, "data"
    if not isinstance(data, (str, os.PathLike)):
        raise DataValidationError(f"expected a path or a pandas DataFrame, got {type(data).__name__}", param="data")
    return read_table(data, "claims data"), str(data)


def counts_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The five counts as a float (rows, 5) array (column by column: list indexing is slow for one row)."""
    return np.column_stack([frame[name].to_numpy(dtype=np.float64) for name in COUNTS])


def labels_to_int(frame: pd.DataFrame) -> np.ndarray:
    """1 for opinion (positive class), 0 for claim."""
    return (frame[LABEL].to_numpy() == POSITIVE).astype(np.int64)


def parse_json(text: str) -> Any:
    """Strict JSON text -> Python value: NaN/Infinity, too-deep nesting and huge numbers are errors."""

    def refuse(name: str) -> float:
        raise ValueError(f"{name} is not a JSON number")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise DataValidationError(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise DataValidationError("JSON nested too deeply") from None
    except ValueError as exc:  # NaN/Infinity, or an integer too long to convert
        raise DataValidationError(f"not valid JSON ({str(exc).splitlines()[0][:120]})") from None


def request_frame(request: Any) -> tuple[pd.DataFrame, str]:
    """A predict request as a canonical frame, and its shape: ``"record"``, ``"records"`` or ``"frame"``.

    One record is a mapping, a batch is a list of mappings (or of :class:`VideoRecord`) or a
    DataFrame with the table's columns (extra columns ignored).
    """
    if isinstance(request, pd.DataFrame):
        if request.empty:
            raise DataValidationError("the batch has no rows", param="request")
        return _canonical(request, "request", with_label=False), "frame"
    if isinstance(request, (Mapping, VideoRecord)):
        return _records_frame([request], single=True), "record"
    if isinstance(request, Sequence) and not isinstance(request, (str, bytes)):
        if not request:
            raise DataValidationError("the batch has no records", param="request")
        return _records_frame(request, single=False), "records"
    raise DataValidationError(
        f"expected one video (a JSON object), a list of them or a table, got {type(request).__name__}", param="request"
    )


def _records_frame(records: Sequence[Any], single: bool) -> pd.DataFrame:
    """Validate records with :class:`VideoRecord` and lay their model inputs out as columns."""
    if all(isinstance(r, VideoRecord) for r in records):
        valid = list(records)
    else:
        try:
            valid = _RECORDS.validate_python([r.model_dump(by_alias=True) if isinstance(r, VideoRecord) else r for r in records])
        except ValidationError as exc:
            raise _record_error(exc, single) from None
    columns: dict[str, Any] = {
        TEXT: [r.video_transcription_text or "" for r in valid],
        VERIFIED: [(r.verified_status or "").strip().lower() for r in valid],
        BAN: [(r.author_ban_status or "").strip().lower() for r in valid],
    }
    for name in COUNTS:
        columns[name] = np.fromiter((getattr(r, name) for r in valid), dtype=np.float64, count=len(valid))
    return pd.DataFrame(columns)


def _record_error(exc: ValidationError, single: bool) -> DataValidationError:
    """The first problem as one line: ``record 3, field 'video_view_count': ...`` (records count from 1)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"][0] == first["loc"][0]]
    if first["type"] == "missing" and len(missing) == len(errors):
        where = "" if single else f"record {int(first['loc'][0]) + 1}: "
        return DataValidationError(
            f"{where}missing field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}", param="request"
        )
    index, *path = first["loc"]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = f"unknown field; the fields are {', '.join(INPUT_FIELDS)} (and optionally {VIDEO_ID}, {DURATION}, {LABEL})"
    elif first["type"] == "missing":
        message = "field is missing"
    elif first["type"] == "model_type":
        message = f"expected a JSON object with fields {', '.join(INPUT_FIELDS)}, got {type(first['input']).__name__}"
    where = "" if single else f"record {int(index) + 1}"
    if path:
        where += ("" if single else ", ") + f"field {'.'.join(str(p) for p in path)!r}"
    more = len(errors) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return DataValidationError(f"{where}: {message}{suffix}" if where else f"{message}{suffix}", param="request")
