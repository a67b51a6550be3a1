"""Cleaning the per-video table in code: what the study did by hand in a spreadsheet.

Everything here validates before it transforms, and every step reports what it did (renamed
columns, dropped levels and rows, chosen baselines) so the report can show the cleaning. Zeros
that mean "not recorded" become ``NaN`` at parse time; they are imputed later by
:class:`~viewcast.followers.preprocess.Preprocessor` from the training part only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.followers.config import NON_NEGATIVE, STUDY_MISSING_ZERO, FollowersConfig, Strategy
from viewcast.io.tables import numeric_column, rows_text


@dataclass
class CleanTable:
    """Parsed, reduced rows; the index keeps the 0-based row of the input file."""

    target: str
    numeric: list[str]  # predictor columns, in file order
    categorical: list[str]
    values: pd.DataFrame  # numeric predictors + target as float, NaN = missing (to impute)
    levels: pd.DataFrame  # categorical columns as text
    strategies: dict[str, Strategy]  # imputation per column that has missing values to fill
    renamed: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    dropped_levels: list[dict] = field(default_factory=list)  # {"column", "level", "rows"}
    dropped_missing: dict[str, int] = field(default_factory=dict)  # rows dropped by strategy "drop"
    rows_in: int = 0


def _lookup(frame: pd.DataFrame) -> dict[str, str]:
    return {c.lower(): c for c in frame.columns}


def apply_column_map(frame: pd.DataFrame, mapping: dict[str, str], source: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename ``old -> new`` (old matched case-insensitively); a map that hits no column is an error."""
    lookup = _lookup(frame)
    renames: dict[str, str] = {}
    for old, new in mapping.items():
        actual = lookup.get(old.strip().lower())
        if actual is None:
            raise DataValidationError(
                f"{source}: --map {old}={new}: no column {old!r} (found: {', '.join(repr(c) for c in frame.columns)})"
            )
        renames[actual] = new.strip()
    renamed = frame.rename(columns=renames)
    duplicated = renamed.columns[renamed.columns.str.lower().duplicated()].tolist()
    if duplicated:
        raise DataValidationError(f"{source}: after --map, column {duplicated[0]!r} appears twice")
    return renamed, renames


def _resolve(frame: pd.DataFrame, names: list[str], what: str, source: str, *, required: bool) -> list[str]:
    lookup = _lookup(frame)
    found = []
    for name in names:
        actual = lookup.get(name.strip().lower())
        if actual is None and required:
            raise DataValidationError(
                f"{source}: {what} column {name!r} not found (found: {', '.join(repr(c) for c in frame.columns)})"
            )
        if actual is not None:
            found.append(actual)
    return found


def _strategies(frame: pd.DataFrame, config: FollowersConfig, not_numeric: set[str], source: str) -> dict[str, Strategy]:
    """The study's defaults for its columns that are modelled, overridden by the user's choices.

    A column the user names must exist and be numeric; ``none`` (zeros are real) removes it.
    """
    chosen: dict[str, Strategy] = {}
    if config.study_missing_zero:
        for name, strategy in STUDY_MISSING_ZERO.items():
            found = _resolve(frame, [name], "", source, required=False)
            chosen.update(dict.fromkeys((c for c in found if c not in not_numeric), strategy))
    for name, strategy in config.missing_zero.items():
        (actual,) = _resolve(frame, [name], "--missing-zero", source, required=True)
        if actual in not_numeric:
            raise DataValidationError(f"{source}: --missing-zero {name}: not a numeric column of the model")
        chosen[actual] = strategy
    return {col: s for col, s in chosen.items() if s != "none"}


def _parse_levels(frame: pd.DataFrame, column: str, source: str) -> pd.Series:
    text = frame[column].astype("string").str.strip()
    blank = text.isna() | (text == "")
    if blank.any():
        raise DataValidationError(f"{source}, {rows_text(np.flatnonzero(blank))}, column {column!r}: level is missing")
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
        )
    except DataValidationError as exc:
        if column == target:
            raise
        missing = "missing" in str(exc)
        hint = f"fill it with --missing-zero {column}=mean" if missing else f"leave it out with --ignore {column}"
        raise DataValidationError(f"{exc}; {hint}") from None
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


def choose_baseline(levels: pd.Series) -> str:
    """The most frequent level (smallest standard errors for the contrasts); ties alphabetically."""
    counts = levels.value_counts()
    top = counts[counts == counts.max()].index
    return sorted(top)[0]


def dummy_code(levels: pd.DataFrame, baselines: dict[str, str]) -> tuple[pd.DataFrame, dict[str, tuple[str, str, str]]]:
    """0/1 columns ``<column>_<level>`` for each non-baseline level, levels in alphabetical order.

    Also returns what each dummy means, ``name -> (column, level, baseline)``, for the reading.
    """
    columns: dict[str, pd.Series] = {}
    meaning: dict[str, tuple[str, str, str]] = {}
    for column in levels.columns:
        for level in sorted(set(levels[column]) - {baselines[column]}):
            name = f"{column}_{level}"
            columns[name] = (levels[column] == level).astype(float)
            meaning[name] = (column, level, baselines[column])
    return pd.DataFrame(columns, index=levels.index), meaning


def _check_informative(table: CleanTable, source: str) -> None:
    for column in [*table.numeric, table.target]:
        observed = table.values[column].dropna()
        if observed.empty:
            raise DataValidationError(f"{source}: column {column!r} has no values (all blank, or zero = missing)")
        if observed.nunique() == 1:
            raise DataValidationError(
                f"{source}: column {column!r} is constant ({observed.iloc[0]:g} in every row used)"
                + (f"; leave it out with --ignore {column}" if column != table.target else "")
            )
    for column in table.categorical:
        if table.levels[column].nunique() == 1:
            raise DataValidationError(
                f"{source}: column {column!r} has one level ({table.levels[column].iloc[0]!r}) in the rows used; "
                f"leave it out with --ignore {column}"
            )


def clean_table(frame: pd.DataFrame, config: FollowersConfig, source: str) -> CleanTable:
    """Rename, pick and parse columns, drop rows (missing where asked, rare levels) and check the rest."""
    frame, renamed = apply_column_map(frame.reset_index(drop=True), config.column_map, source)
    (target,) = _resolve(frame, [config.target], "target", source, required=True)
    ignored = _resolve(frame, config.ignore, "--ignore", source, required=True)
    if target in ignored:
        raise DataValidationError(f"{source}: the target {target!r} cannot be ignored")
    ignored += [c for c in _resolve(frame, [config.date_column], "", source, required=False) if c not in ignored]
    categorical = [c for c in _resolve(frame, config.categorical, "", source, required=False) if c not in {target, *ignored}]
    strategies = _strategies(frame, config, {*categorical, *ignored}, source)
    numeric = [c for c in frame.columns if c not in {target, *ignored, *categorical}]
    values = pd.DataFrame({c: _parse_numbers(frame, c, strategies.get(c), source, target) for c in [*numeric, target]})
    levels = pd.DataFrame({c: _parse_levels(frame, c, source) for c in categorical}, index=frame.index)
    table = CleanTable(
        target=target, numeric=numeric, categorical=categorical, values=values, levels=levels,
        strategies=strategies, renamed=renamed, ignored=ignored, rows_in=len(frame),
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
    _check_informative(table, source)
    return table
