"""Shared table reading: messy headers, separators, and messages naming file, row and column."""

from __future__ import annotations

import pytest

from viewcast.data.tables import find_columns, numeric_column, read_table, rows_text
from viewcast.errors import DataValidationError


def test_headers_spaces_and_thousands_separators(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('  Day , "  Views  "\n1,"1,084,565"\n2,  2000\n')
    frame = read_table(path)
    assert list(frame.columns) == ["Day", "Views"]
    cols = find_columns(frame, ["views", "day"], path)
    assert cols == {"views": "Views", "day": "Day"}
    assert numeric_column(frame, "Views", path).tolist() == [1084565.0, 2000.0]


def test_bad_cell_is_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Day,Views\n1,10\n2,n/a\n")
    with pytest.raises(DataValidationError, match=r"t.csv, row 3, column 'Views': 'n/a' is not a number"):
        numeric_column(read_table(path), "Views", path)


def test_negative_and_missing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Day,Views\n1,-5\n2,\n")
    frame = read_table(path)
    with pytest.raises(DataValidationError, match="row 2.*negative"):
        numeric_column(frame, "Views", path, allow_negative=False, allow_missing=True)
    with pytest.raises(DataValidationError, match="row 3.*missing"):
        numeric_column(frame, "Views", path)


def test_empty_and_header_only_and_missing_columns(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(DataValidationError, match="empty"):
        read_table(empty)
    header = tmp_path / "h.csv"
    header.write_text("Day,Views\n")
    with pytest.raises(DataValidationError, match="no data rows"):
        read_table(header)
    ok = tmp_path / "o.csv"
    ok.write_text("Day\n1\n")
    with pytest.raises(DataValidationError, match="missing column 'Views'.*found: 'Day'"):
        find_columns(read_table(ok), ["Views"], ok)
    with pytest.raises(DataValidationError, match="not found"):
        read_table(tmp_path / "absent.csv")


def test_rows_text():
    assert rows_text([0]) == "row 2"
    assert rows_text(range(7)) == "rows 2, 3, 4, 5, 6 and 2 more"
