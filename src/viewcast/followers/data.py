"""Loading and cleaning the per-video table in code: what the study did by hand in a spreadsheet.

Everything here validates before it transforms, and every step reports what it did (renamed
columns, dropped levels and rows) so the report can show the cleaning. Zeros that mean "not
recorded" become ``NaN`` at parse time; they are imputed later from the rows the model is fitted
on (:mod:`viewcast.followers.design`). Column names match by :func:`viewcast.io.tables.column_key`
(case, spaces and underscores do not matter).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.followers.config import DEFAULT_MISSING_ZERO, NON_NEGATIVE, STUDY_ORDER, FollowersConfig, Strategy
from viewcast.io.tables import MAX_COUNT, column_key, normalise_header, numeric_column, read_table, rows_text


@dataclass
class CleanTable:
    """Parsed, reduced rows; the index keeps the 0-based row of the input table."""

    target: str
    numeric: list[str]  # predictor columns, in term order (the study's order, then the file's)
    categorical: list[str]
    values: pd.DataFrame  # numeric predictors + target as float, NaN = missing (to impute)
    levels: pd.DataFrame  # categorical columns as text
    strategies: dict[str, Strategy]  # imputation per column that has missing values to fill
    source: str = "data"
    renamed: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    dropped_levels: list[dict] = field(default_factory=list)  # {"column", "level", "rows"}
    dropped_missing: dict[str, int] = field(default_factory=dict)  # rows dropped by strategy "drop"
    rows_in: int = 0

    def take(self, rows: np.ndarray) -> CleanTable:
        """The same table restricted to some positions (a training part, a CV fold)."""
        return replace(self, values=self.values.iloc[rows], levels=self.levels.iloc[rows])


def load_frame(data: str | os.PathLike[str] | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The table and a name for messages: a path is read by the one table reader, a frame copied."""
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.columns = [normalise_header(c) for c in frame.columns]
        keys = pd.Series([column_key(c) for c in frame.columns])
        if keys.duplicated().any():
            name = frame.columns[int(np.flatnonzero(keys.duplicated())[0])]
            raise DataValidationError(f"data: two columns are named {name!r}", param="data")
        if frame.empty:
            raise DataValidationError("data: the table has no rows", param="data")
        return frame, "data"
    if isinstance(data, (str, os.PathLike)):
        return read_table(Path(data), "per-video"), str(data)
    raise DataValidationError(f"expected a path or a pandas DataFrame, got {type(data).__name__}", param="data")


def _lookup(frame: pd.DataFrame) -> dict[str, str]:
    return {column_key(c): c for c in frame.columns}


def _found(frame: pd.DataFrame) -> str:
    names = [repr(str(c)) for c in frame.columns[:20]]
    return ", ".join(names) + (" ..." if len(frame.columns) > 20 else "")


def apply_column_map(frame: pd.DataFrame, mapping: dict[str, str], source: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename ``old -> new``; a map entry that hits no column is an error."""
    lookup = _lookup(frame)
    renames: dict[str, str] = {}
    for old, new in mapping.items():
        actual = lookup.get(column_key(old.strip()))
        if actual is None:
            raise DataValidationError(f"{source}: no column {old!r} to rename (found: {_found(frame)})", param="column_map")
        if not new.strip():
            raise DataValidationError(f"{old!r} is renamed to a blank name", param="column_map")
        renames[actual] = new.strip()
    renamed = frame.rename(columns=renames)
    keys = pd.Series([column_key(c) for c in renamed.columns])
    if keys.duplicated().any():
        name = renamed.columns[int(np.flatnonzero(keys.duplicated())[0])]
        raise DataValidationError(f"{source}: after renaming, two columns are named {name!r}", param="column_map")
    return renamed, renames


def _resolve(frame: pd.DataFrame, names: list[str], param: str | None, source: str) -> list[str]:
    """The frame's columns for ``names``; with ``param`` a name that matches nothing is an error."""
    lookup = _lookup(frame)
    found = []
    for name in names:
        actual = lookup.get(column_key(name.strip()))
        if actual is None and param is not None:
            raise DataValidationError(f"{source}: no column {name!r} (found: {_found(frame)})", param=param)
        if actual is not None and actual not in found:
            found.append(actual)
    return found


def _strategies(frame: pd.DataFrame, config: FollowersConfig, not_numeric: set[str], source: str) -> dict[str, Strategy]:
    """The default zero rules for the columns that are modelled, overridden by the user's choices."""
    chosen: dict[str, Strategy] = {}
    if config.default_missing_zero:
        for name, strategy in DEFAULT_MISSING_ZERO.items():
            chosen.update(dict.fromkeys((c for c in _resolve(frame, [name], None, source) if c not in not_numeric), strategy))
    for name, strategy in config.missing_zero.items():
        (actual,) = _resolve(frame, [name], "missing_zero", source)
        if actual in not_numeric:
            raise DataValidationError(f"{source}: column {actual!r} is not a numeric column of the model", param="missing_zero")
        chosen[actual] = strategy
    return {col: s for col, s in chosen.items() if s != "none"}


def _parse_levels(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    text = frame[column].astype("string").str.strip()
    blank = text.isna() | (text == "")
    if blank.any():
        raise DataValidationError(f"{source}, {rows_text(np.flatnonzero(blank))}, column {column!r}: level is missing")
    too_long = text.str.len() > 200
    if too_long.any():
        raise DataValidationError(
            f"{source}, {rows_text(np.flatnonzero(too_long))}, column {column!r}: level longer than 200 characters"
        )
    return text.astype(str)


def _parse_numbers(frame: pd.DataFrame, column: str, strategy: Strategy | None, source: str, target: str) -> pd.Series:
    try:
        values = numeric_column(
            frame,
            column,
            source,
            # the target goes through log1p, so it is a count like the study's own columns
            allow_negative=column != target and column.lower() not in NON_NEGATIVE,
            allow_missing=strategy is not None,
            maximum=MAX_COUNT,
        )
    except DataValidationError as exc:
        if column == target:
            raise
        if "missing" in exc.message:
            hint = "give it a missing_zero strategy (mean, median, mode or drop)"
        else:
            hint = "if it is not a predictor, leave it out with the ignore option"
        raise DataValidationError(f"{exc.message}; {hint}") from None
    if strategy is not None:
        values = values.mask(values == 0)
    return values


def reduce_levels(levels: pd.DataFrame, min_count: int) -> tuple[pd.Series, list[dict]]:
    """Keep rows whose every level is seen more than ``min_count`` times among the kept rows.

    Dropping a rare subject can make a category rare in turn, so counting repeats until stable;
    the guarantee "every remaining level has more than ``min_count`` rows" then really holds.
    Returns the boolean keep mask and the dropped (column, level, rows) with rows counted once.
    """
    keep = pd.Series(True, index=levels.index)
    dropped: dict[tuple[str, str], int] = {}
    while True:
        rare = pd.Series(False, index=levels.index)
        for column in levels.columns:
            counts = levels.loc[keep, column].value_counts()
            rare_levels = set(counts.index[counts <= min_count])
            hit = keep & levels[column].isin(rare_levels) & ~rare
            for level, rows in levels.loc[hit, column].value_counts().items():
                dropped[(column, level)] = dropped.get((column, level), 0) + int(rows)
            rare |= hit
        if not rare.any():
            break
        keep &= ~rare
    report = [{"column": c, "level": lvl, "rows": n} for (c, lvl), n in sorted(dropped.items())]
    return keep, report


def _check_informative(table: CleanTable) -> None:
    source = table.source
    for column in [*table.numeric, table.target]:
        observed = table.values[column].dropna()
        if observed.empty:
            raise DataValidationError(f"{source}: column {column!r} has no values (all blank, or zero = missing)")
        if observed.nunique() == 1:
            hint = "" if column == table.target else "; leave it out with the ignore option"
            raise DataValidationError(f"{source}: column {column!r} is constant ({observed.iloc[0]:g} in every row used){hint}")
    for column in table.categorical:
        if table.levels[column].nunique() == 1:
            raise DataValidationError(
                f"{source}: column {column!r} has one level ({table.levels[column].iloc[0]!r}) in the rows used; "
                "leave it out with the ignore option"
            )


def _term_order(columns: list[str]) -> list[str]:
    """The study's columns in the study's order, then the others in the file's order."""
    rank = {column_key(name): position for position, name in enumerate(STUDY_ORDER)}
    return sorted(columns, key=lambda c: (rank.get(column_key(c), len(rank)), columns.index(c)))


def clean_table(frame: pd.DataFrame, config: FollowersConfig, source: str = "data") -> CleanTable:
    """Rename, pick and parse columns, drop rows (missing where asked, rare levels) and check the rest."""
    frame, renamed = apply_column_map(frame.reset_index(drop=True), config.column_map, source)
    (target,) = _resolve(frame, [config.target], "target", source)
    ignored = _resolve(frame, config.ignore, "ignore", source)
    if target in ignored:
        raise DataValidationError(f"the target {target!r} cannot be left out", param="ignore")
    ignored += [c for c in _resolve(frame, [config.date_column], None, source) if c not in ignored]
    categorical = [c for c in _resolve(frame, config.categorical, None, source) if c not in {target, *ignored}]
    strategies = _strategies(frame, config, {*categorical, *ignored}, source)
    numeric = _term_order([c for c in frame.columns if c not in {target, *ignored, *categorical}])
    if not numeric and not categorical:
        raise DataValidationError(f"{source}: no predictor columns besides the target {target!r}")
    values = pd.DataFrame({c: _parse_numbers(frame, c, strategies.get(c), source, target) for c in [*numeric, target]})
    levels = pd.DataFrame({c: _parse_levels(frame, c, source) for c in categorical}, index=frame.index)
    table = CleanTable(
        target=target, numeric=numeric, categorical=categorical, values=values, levels=levels,
        strategies=strategies, source=source, renamed=renamed, ignored=ignored, rows_in=len(frame),
    )  # fmt: skip
    # rows dropped for a missing value go first, so that the levels are counted on the rows modelled
    keep = pd.Series(True, index=frame.index)
    for column, strategy in strategies.items():
        if strategy == "drop":
            gone = keep & values[column].isna()
            table.dropped_missing[column] = int(gone.sum())
            keep &= ~gone
    reduced, table.dropped_levels = reduce_levels(levels[keep], config.min_level_count)
    keep &= reduced.reindex(keep.index, fill_value=False)
    table.values, table.levels = values[keep], levels[keep]
    table.strategies = {c: s for c, s in strategies.items() if s != "drop"}
    if len(table.values) == 0:
        raise DataValidationError(f"{source}: no rows left after dropping rare levels and missing values")
    _check_informative(table)
    return table
