"""The one table reader: CSV, JSON, JSON lines, Parquet and Excel, with errors a user can act on.

Every analysis reads tables written by people and spreadsheets, so the same problems recur:
headers with stray spaces, numbers with thousands separators, text in numeric columns, files in
another encoding or with another delimiter, JSON where CSV was expected. Each becomes one
:class:`DataValidationError` that names file, row and column ("views.csv, row 17, column 'Views':
'n/a' is not a number"). Row numbers are what a spreadsheet shows: the header is row 1, the
first data row is row 2; in JSON lines, row N is line N.

Values of text formats stay text until :func:`numeric_column` parses them, so that the message
can point at the exact cell instead of pandas silently producing ``NaN``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError

_SPACES = re.compile(r"\s+")
#: Largest count (views, likes, requests...) accepted anywhere: far above any real platform's
#: daily figure, and small enough that sums of millions of them stay exact in float64.
MAX_COUNT = 1e15
TEXT_SUFFIXES = (".csv", ".txt", ".tsv", "")
SUPPORTED = ".csv, .jsonl, .json, .parquet or .xlsx"


def normalise_header(name: object) -> str:
    """Strip and collapse white space: ``"  Views  "`` -> ``"Views"``."""
    return _SPACES.sub(" ", str(name)).strip()


def column_key(name: str) -> str:
    """The one column-name rule: case, spaces and underscores do not matter."""
    return str(name).lower().replace(" ", "").replace("_", "")


def read_table(path: str | os.PathLike[str], what: str = "data") -> pd.DataFrame:
    """Read a table by its suffix; text formats come back as strings with normalised headers."""
    path = Path(path)
    if not path.exists():
        raise DataValidationError(f"{path}: {what} file not found")
    if path.is_dir():
        raise DataValidationError(f"{path}: is a folder, expected a {what} file")
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: file is empty")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = _read_parquet(path)
    elif suffix in (".xlsx", ".xlsm"):
        frame = _read_excel(path)
    elif suffix in (".jsonl", ".ndjson"):
        frame = _read_json_lines(path, _decode(path))
    elif suffix == ".json":
        frame = _read_json_array(path, _decode(path))
    elif suffix in TEXT_SUFFIXES:
        frame = _read_csv(path, _decode(path))
    else:
        raise DataValidationError(f"{path}: unsupported file type {suffix!r}; give {SUPPORTED}")
    frame.columns = [normalise_header(c) for c in frame.columns]
    if suffix not in TEXT_SUFFIXES:
        _check_header(frame.columns, path)  # CSV headers are checked before pandas renames repeats
    if frame.empty:
        raise DataValidationError(f"{path}: has a header but no data rows")
    return frame


def _decode(path: Path) -> str:
    """The file's text; a byte that is not UTF-8 is reported by row, column and likely encoding."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise DataValidationError(f"{path}: is a binary file, not text; give {SUPPORTED}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        row = data.count(b"\n", 0, exc.start) + 1
        header = data.split(b"\n", 1)[0].decode("utf-8", "replace")
        names = [normalise_header(n) for n in _header_fields(header)]
        field = data[line_start : exc.start].decode("utf-8", "replace").count(",")
        where = f"column {names[field]!r}" if field < len(names) else f"field {field + 1}"
        encoding = "Windows-1252 or Latin-1" if _decodes(data, "cp1252") else "not UTF-8"
        raise DataValidationError(
            f"{path}, row {row}, {where}: byte 0x{data[exc.start]:02x} is not UTF-8 (the file looks like {encoding}); "
            "save it as UTF-8"
        ) from None


def _header_fields(line: str) -> list[str]:
    """The fields of a CSV header line (quotes honoured where the line parses)."""
    line = line.rstrip("\r")
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return line.split(",")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _read_csv(path: Path, text: str) -> pd.DataFrame:
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        kind = "a JSON array" if stripped[:1] == "[" else "JSON"
        raise DataValidationError(
            f"{path}: holds {kind}, not CSV; name it .json (an array of records) or .jsonl (one object per line)"
        )
    first_line = stripped.split("\n", 1)[0]
    for delimiter, name in ((";", "semicolon"), ("\t", "tab")):
        if first_line.count(delimiter) >= 1 and "," not in first_line:
            raise DataValidationError(
                f"{path}: columns are separated by {name}s ('{delimiter}'), not commas; save the file as comma-separated CSV"
            )
    _check_header(_header_fields(first_line), path)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], skipinitialspace=True, engine="c"
        )
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: holds no header and no rows") from None
    except pd.errors.ParserError as exc:
        raise DataValidationError(f"{path}: {_parser_message(exc)}") from None
    except (ValueError, OverflowError, MemoryError) as exc:
        raise DataValidationError(f"{path}: cannot be read as CSV ({str(exc).splitlines()[0][:200]})") from None
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas silently turns the extra leading fields of rows longer than the header into an index
        raise DataValidationError(
            f"{path}: row 2 has more fields than the header has columns (a stray comma, or a text with commas that is not quoted?)"
        )
    return frame


def _parser_message(exc: Exception) -> str:
    """pandas' 'Error tokenizing data. C error: Expected 3 fields in line 7, saw 5' -> one clear line."""
    text = " ".join(str(exc).split())
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if found:
        expected, line, saw = found.groups()
        return f"row {line} has {saw} fields but the header has {expected} (a stray comma, or a text with commas that is not quoted?)"
    return f"cannot be read as CSV ({text[:200]})"


def _read_json_lines(path: Path, text: str) -> pd.DataFrame:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        record = _json_value(line, f"{path}, line {number}")
        if not isinstance(record, dict):
            raise DataValidationError(f"{path}, line {number}: expected a JSON object, got {type(record).__name__}")
        records.append(record)
    if not records:
        raise DataValidationError(f"{path}: holds no JSON records")
    return _records_frame(records, path)


def _read_json_array(path: Path, text: str) -> pd.DataFrame:
    value = _json_value(text, str(path))
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise DataValidationError(f"{path}: expected a JSON array of objects (one per row)")
    if not value:
        raise DataValidationError(f"{path}: holds no JSON records")
    return _records_frame(value, path)


def _json_value(text: str, where: str) -> object:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise DataValidationError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise DataValidationError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:  # NaN/Infinity constants, or integers too long to convert
        raise DataValidationError(f"{where}: {exc}") from None


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _records_frame(records: list[dict], path: Path) -> pd.DataFrame:
    """Records -> text cells (as CSV gives), so that numeric checks name the bad cell."""
    for number, record in enumerate(records, start=1):
        for key, value in record.items():
            if isinstance(value, (dict, list)):
                raise DataValidationError(f"{path}, row {number}, column {key!r}: nested JSON values are not table cells")
    return pd.DataFrame.from_records([{key: _cell_text(value) for key, value in record.items()} for record in records])


def _cell_text(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many unrelated types for a file that is not Parquet
        raise DataValidationError(f"{path}: cannot be read as Parquet ({str(exc).splitlines()[0][:200]})") from None


def _read_excel(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl/zipfile raise many types for a file that is not a workbook
        raise DataValidationError(f"{path}: cannot be read as an Excel workbook ({str(exc).splitlines()[0][:200]})") from None
    return frame.dropna(how="all")


def _check_header(names: Sequence[object], path: Path) -> None:
    """Two columns whose names match by :func:`column_key` would make every lookup ambiguous."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        key = column_key(normalise_header(name))
        if key and key in seen:
            raise DataValidationError(
                f"{path}, row 1: columns {seen[key]} and {position} are both named {normalise_header(name)!r}"
            )
        seen[key] = position


def find_columns(
    frame: pd.DataFrame,
    wanted: Sequence[str],
    source: str | os.PathLike[str],
    aliases: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """Map canonical column names to the frame's columns (:func:`column_key` rule, with aliases).

    Raises one error listing every missing column and the columns that the file does have.
    """
    lookup = {column_key(c): c for c in frame.columns}
    found: dict[str, str] = {}
    missing: list[str] = []
    for name in wanted:
        for candidate in (name, *(aliases or {}).get(name, ())):
            if column_key(candidate) in lookup:
                found[name] = lookup[column_key(candidate)]
                break
        else:
            missing.append(name)
    if missing:
        raise DataValidationError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} "
            f"(found: {', '.join(repr(str(c)) for c in frame.columns[:20])}{' ...' if len(frame.columns) > 20 else ''})"
        )
    return found


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    source: str | os.PathLike[str],
    *,
    allow_negative: bool = True,
    allow_missing: bool = False,
    maximum: float | None = None,
    integer: bool = False,
) -> pd.Series:
    """Parse a column as float (thousands separators accepted); name the first bad cell.

    ``maximum`` bounds the magnitude (counts use :data:`MAX_COUNT`), ``integer`` requires whole
    numbers (ids).
    """
    raw = frame[column]
    if pd.api.types.is_bool_dtype(raw):
        raw = raw.astype(str)
    if pd.api.types.is_numeric_dtype(raw):
        values = raw.astype(float)
        bad_text = pd.Series(False, index=raw.index)
    else:
        text = raw.astype("string").str.strip().str.replace(",", "", regex=False).str.replace("_", "", regex=False)
        values = pd.to_numeric(text, errors="coerce").astype(float)
        unparsed = values.isna() & text.notna() & (text != "")
        # pandas gives NaN for numbers beyond float range ("9" * 400); Python's float says inf
        values[unparsed] = [_float_or_nan(cell) for cell in text[unparsed]]
        bad_text = values.isna() & unparsed
    _first_bad(bad_text, raw, column, source, "{cell} is not a number")
    if not allow_missing and values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataValidationError(f"{source}, row {row + 2}, column {column!r}: value is missing")
    present = values.fillna(0.0)
    if maximum is not None:
        beyond = f"{{cell}} is beyond {maximum:.0e}, the largest value accepted here"
        _first_bad(present.abs() > maximum, raw, column, source, beyond)
    _first_bad(~np.isfinite(present), raw, column, source, "{cell} is not a finite number")
    if not allow_negative:
        _first_bad(present < 0, raw, column, source, "negative value {cell} (counts cannot be negative)")
    if integer:
        _first_bad(present != np.round(present), raw, column, source, "{cell} is not a whole number")
    return values


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except (ValueError, OverflowError):
        return float("nan")


def _first_bad(mask: pd.Series | np.ndarray, raw: pd.Series, column: str, source: object, problem: str) -> None:
    """Raise for the first row in ``mask``; ``problem`` shows the cell where it says ``{cell}``."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    rows = np.flatnonzero(mask)
    more = f" ({len(rows)} such cells)" if len(rows) > 1 else ""
    cell = str(raw.iloc[rows[0]])
    shown = cell if len(cell) <= 40 else cell[:37] + "..."
    raise DataValidationError(f"{source}, row {rows[0] + 2}, column {column!r}: {problem.format(cell=repr(shown))}{more}")


def rows_text(rows: Iterable[int], limit: int = 5) -> str:
    """``[0, 3]`` (0-based data rows) -> ``"rows 2, 5"`` as a spreadsheet numbers them."""
    rows = [int(r) + 2 for r in rows]
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"
