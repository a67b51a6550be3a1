"""Shared table reading: messy headers, separators, and messages naming file, row and column."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from viewcast.errors import DataValidationError
from viewcast.io.tables import MAX_COUNT, find_columns, numeric_column, read_table, rows_text


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


# --- the messages issue 9 asked for --------------------------------------------------------


def _expect(path, pattern):
    with pytest.raises(DataValidationError, match=pattern) as info:
        read_table(path)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_json_array_in_a_csv_file_is_named_as_json(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text('[{"Day": 1, "Views": 5}]')
    _expect(path, r"JSON array, not CSV; name it \.json")


def test_json_array_and_json_lines_are_read(tmp_path):
    array = tmp_path / "v.json"
    array.write_text(json.dumps([{"Day": 1, "Views": 5}, {"Day": 2, "Views": None}]))
    frame = read_table(array)
    assert list(frame.columns) == ["Day", "Views"]
    assert numeric_column(frame, "Views", array, allow_missing=True).tolist()[0] == 5.0
    lines = tmp_path / "v.jsonl"
    lines.write_text('{"Day": 1, "Views": 5}\n\n{"Day": 2, "Views": "7"}\n')
    assert numeric_column(read_table(lines), "Views", lines).tolist() == [5.0, 7.0]


def test_bad_json_line_names_its_line(tmp_path):
    path = tmp_path / "v.jsonl"
    path.write_text('{"Day": 1}\n{"Day": 2}\n{"Day": 3,,}\n')
    _expect(path, r"v\.jsonl, line 3: not valid JSON")


def test_json_constants_huge_nesting_and_huge_integers_are_refused_or_kept_exact(tmp_path):
    nan = tmp_path / "nan.jsonl"
    nan.write_text('{"Views": NaN}\n')
    _expect(nan, r"line 1: NaN is not a JSON number")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    _expect(deep, r"nested too deeply|array of objects")
    huge = tmp_path / "huge.jsonl"
    huge.write_text('{"Views": ' + "9" * 400 + "}\n")
    frame = read_table(huge)
    with pytest.raises(DataValidationError, match=r"row 2, column 'Views': '9+\.\.\.' is (beyond 1e\+15|not a finite number)"):
        numeric_column(frame, "Views", huge, maximum=MAX_COUNT)


def test_latin1_byte_names_row_column_and_encoding(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes("Day,Category,Views\n1,music,5\n2,caf\xe9,6\n".encode("latin-1"))
    message = _expect(path, r"v\.csv, row 3, column 'Category': byte 0xe9 is not UTF-8")
    assert "Latin-1" in message and "save it as UTF-8" in message


def test_semicolon_and_tab_files_are_named_as_such(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("Day;Views\n1;5\n")
    _expect(path, "separated by semicolons")
    tabs = tmp_path / "t.csv"
    tabs.write_text("Day\tViews\n1\t5\n")
    _expect(tabs, "separated by tabs")


def test_xlsx_is_read_and_unknown_suffixes_refused(tmp_path):
    path = tmp_path / "v.xlsx"
    pd.DataFrame({"Day": [1, 2], "Views": [5, 6]}).to_excel(path, index=False)
    frame = read_table(path)
    assert numeric_column(frame, "Views", path).tolist() == [5.0, 6.0]
    odd = tmp_path / "v.docx"
    odd.write_text("x")
    _expect(odd, r"unsupported file type '\.docx'")
    fake = tmp_path / "f.xlsx"
    fake.write_text("Day,Views\n1,2\n")
    _expect(fake, "cannot be read as an Excel workbook")


def test_repeated_column_names_are_refused(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("Day,Views,views\n1,5,6\n")
    _expect(path, r"row 1: columns 2 and 3 are both named 'views'")


def test_ragged_row_is_one_clear_line(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("Day,Views\n1,5\n2,6,7,8\n")
    _expect(path, r"row 3 has 4 fields but the header has 2")


def test_binary_file_is_named(tmp_path):
    path = tmp_path / "v.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    _expect(path, "binary file")


def test_bounds_and_whole_numbers(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("id,Views\n1.5,1e300\n")
    frame = read_table(path)
    with pytest.raises(DataValidationError, match=r"column 'Views': '1e300' is beyond"):
        numeric_column(frame, "Views", path, maximum=MAX_COUNT)
    with pytest.raises(DataValidationError, match=r"column 'id': '1.5' is not a whole number"):
        numeric_column(frame, "id", path, integer=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".jsonl", ".json", ".parquet", ".xlsx"]))
def test_any_bytes_give_a_table_or_one_clear_error(tmp_path, content, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    try:
        frame = read_table(path)
    except DataValidationError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    else:
        assert len(frame) >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_any_cell_text_parses_or_is_named(tmp_path, cells):
    frame = pd.DataFrame({"Views": cells}, dtype=object)
    try:
        values = numeric_column(frame, "Views", "t.csv", allow_missing=True, maximum=MAX_COUNT)
    except DataValidationError as exc:
        assert "t.csv, row " in str(exc) and "column 'Views'" in str(exc)
    else:
        finite = values.dropna()
        assert (finite.abs() <= MAX_COUNT).all()


def test_a_first_row_longer_than_the_header_is_refused_not_shifted(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("Day,Views\n1,5,6\n2,7\n")
    _expect(path, r"row 2 has more fields than the header")
