"""Planned videos: the record a creator describes, checked before the model answers it.

:class:`PlannedVideo` is the pydantic schema of one record in the study's columns, so that the
HTTP service can publish it in its OpenAPI document; a model fitted on other columns (a real
export renamed with ``column_map``) reads them as extra fields of the same record. Checking
goes further than the schema: every column the model uses must be given (except those whose
zeros mean "not recorded": they are filled as in training), numbers must be finite and in
range, and a level must be one the model knows. Problems are :class:`DataValidationError` naming
the record (1-based, in the order given) or the table row and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from viewcast.errors import DataValidationError, LimitError
from viewcast.followers.config import NON_NEGATIVE
from viewcast.io.tables import MAX_COUNT, column_key, numeric_column, rows_text

#: Largest number of planned videos answered in one request.
MAX_RECORDS = 100_000

Count = Annotated[float, Field(ge=0, le=MAX_COUNT, allow_inf_nan=False, strict=True)]
Level = Annotated[str, Field(min_length=1, max_length=200, strict=True)]


class PlannedVideo(BaseModel):
    """One planned video. Give every column the model uses; unknown extra fields are ignored."""

    model_config = ConfigDict(extra="allow")

    length: Count | None = Field(None, description="video length in seconds")
    views: Count | None = Field(None, description="expected views")
    likes: Count | None = None
    comments: Count | None = None
    shares: Count | None = None
    saves: Count | None = None
    avgWatchTime: Count | None = Field(None, description="average watch time in seconds")
    watchedFullVideo: Count | None = Field(None, description="% of viewers who watched it all; leave out if unknown")
    forYouPct: Count | None = Field(None, description="% of views from the For You feed")
    totalPlayTime: Count | None = Field(None, description="total play time in seconds")
    category: Level | None = None
    subject: Level | None = None


class PlannedAnswer(BaseModel):
    """The answer for one planned video (what ``FollowersModel.predict`` returns per record)."""

    expected_new_followers: float = Field(description="mean new followers (smearing back-transform)")
    lo95: float = Field(description="lower end of the 95% prediction interval")
    hi95: float = Field(description="upper end of the 95% prediction interval")
    outside_training_range: list[str] = Field(description="fields whose value lies outside the training data")


def _as_mapping(record: Any) -> Any:
    """A pydantic record (a service body) as its fields, extra fields included."""
    return record.model_dump() if isinstance(record, BaseModel) else record


def _records(request: Any) -> list[Mapping[str, Any]]:
    request = _as_mapping(request)
    if isinstance(request, Mapping):
        return [request]
    if isinstance(request, Sequence) and not isinstance(request, (str, bytes)):
        if not request:
            raise DataValidationError("no planned videos given")
        if len(request) > MAX_RECORDS:
            raise LimitError(f"{len(request):,} planned videos in one request; at most {MAX_RECORDS:,}")
        records = [_as_mapping(record) for record in request]
        for number, record in enumerate(records, start=1):
            if not isinstance(record, Mapping):
                raise DataValidationError(f"planned video {number}: expected an object of fields, got {type(record).__name__}")
        return records
    raise DataValidationError(f"expected a planned video (an object of fields) or a list of them, got {type(request).__name__}")


def _check_schema(record: Mapping[str, Any], number: int) -> None:
    try:
        PlannedVideo.model_validate(dict(record))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise DataValidationError(f"planned video {number}, field {field!r}: {first['msg']}") from None


def _number(value: Any, column: str, number: int, non_negative: bool) -> float:
    where = f"planned video {number}, field {column!r}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataValidationError(f"{where}: expected a number, got {type(value).__name__}")
    try:
        number_value = float(value)
    except OverflowError:
        raise DataValidationError(f"{where}: {str(value)[:20]}... is too large") from None
    if not np.isfinite(number_value) or abs(number_value) > MAX_COUNT:
        raise DataValidationError(f"{where}: {value!r} is not a finite number up to {MAX_COUNT:.0e}")
    if non_negative and number_value < 0:
        raise DataValidationError(f"{where}: negative value {value!r} (it cannot be negative)")
    return number_value


def records_frame(
    request: Any, numeric: list[str], fillable: set[str], known: dict[str, list[str]], non_negative: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numbers (NaN = not recorded, to fill) and levels of planned-video records."""
    records = _records(request)
    categorical = list(known)
    values: dict[str, list[float]] = {c: [] for c in numeric}
    levels: dict[str, list[str]] = {c: [] for c in categorical}
    for number, record in enumerate(records, start=1):
        _check_schema(record, number)
        fields = {column_key(str(name)): value for name, value in record.items()}  # the one column-name rule
        for column in numeric:
            value = fields.get(column_key(column))
            if value is None:
                if column not in fillable:
                    raise DataValidationError(
                        f"planned video {number}: field {column!r} is missing (the model needs {_needs(numeric, categorical, fillable)})"
                    )
                values[column].append(np.nan)
                continue
            parsed = _number(value, column, number, column in non_negative)
            values[column].append(np.nan if parsed == 0 and column in fillable else parsed)
        for column in categorical:
            value = fields.get(column_key(column))
            if value is None:
                raise DataValidationError(
                    f"planned video {number}: field {column!r} is missing (the model needs {_needs(numeric, categorical, fillable)})"
                )
            if not isinstance(value, str) or not value.strip():
                raise DataValidationError(f"planned video {number}, field {column!r}: expected a non-empty text level")
            if value.strip() not in known[column]:
                raise DataValidationError(f"planned video {number}, field {column!r}: {_unknown(value.strip(), known[column])}")
            levels[column].append(value.strip())
    return pd.DataFrame(values, dtype=float), pd.DataFrame(levels, dtype=object)


def table_frame(
    frame: pd.DataFrame, source: str, numeric: list[str], fillable: set[str], known: dict[str, list[str]], non_negative: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numbers and levels of a table of planned videos (CSV, JSON lines...), errors by row."""
    categorical = list(known)
    if len(frame) > MAX_RECORDS:
        raise LimitError(f"{source}: {len(frame):,} planned videos; at most {MAX_RECORDS:,} at a time")
    lookup = {column_key(str(c)): c for c in frame.columns}
    missing = [c for c in [*numeric, *categorical] if column_key(c) not in lookup and c not in fillable]
    if missing:
        raise DataValidationError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} "
            f"(the model needs {_needs(numeric, categorical, fillable)})"
        )
    values = {}
    for column in numeric:
        if column_key(column) not in lookup:
            values[column] = pd.Series(np.nan, index=frame.index)
            continue
        parsed = numeric_column(
            frame,
            lookup[column_key(column)],
            source,
            allow_negative=column not in non_negative,
            allow_missing=column in fillable,
            maximum=MAX_COUNT,
        )
        values[column] = parsed.mask(parsed == 0) if column in fillable else parsed
    levels = {}
    for column in categorical:
        text = frame[lookup[column_key(column)]].astype("string").str.strip()
        blank = text.isna() | (text == "")
        if blank.any():
            raise DataValidationError(f"{source}, {rows_text(np.flatnonzero(blank))}, column {column!r}: level is missing")
        unknown = ~text.isin(known[column])
        if unknown.any():
            first = str(text[unknown].iloc[0])
            raise DataValidationError(
                f"{source}, {rows_text(np.flatnonzero(unknown))}, column {column!r}: {_unknown(first, known[column])}"
            )
        levels[column] = text.astype(str)
    return pd.DataFrame(values).reset_index(drop=True), pd.DataFrame(levels, index=frame.index).reset_index(drop=True)


def non_negative_columns(numeric: list[str], log_columns: list[str]) -> set[str]:
    """Columns that cannot be negative: counts of the study's schema and every log1p column."""
    return {c for c in numeric if c.lower() in NON_NEGATIVE or c in log_columns}


def _unknown(level: str, known: list[str]) -> str:
    shown = level if len(level) <= 40 else level[:37] + "..."
    return f"unknown level {shown!r}; the model knows {', '.join(repr(k) for k in known)}"


def _needs(numeric: list[str], categorical: list[str], fillable: set[str]) -> str:
    needed = ", ".join([*(c for c in numeric if c not in fillable), *categorical])
    optional = [c for c in numeric if c in fillable]
    return needed + (f"; {', '.join(optional)} may be left out" if optional else "")
