"""From table columns to the model's design matrix, with every statistic learnt from fitted rows.

A :class:`Design` is the whole preprocessing a saved model needs to answer a planned video:
which numeric columns it reads and which of them are on the ``log1p`` scale, the fill values of
zeros that mean "not recorded", the categorical levels and their baselines, the terms that
survived the alias check, and the mean and standard deviation that standardise each term.
Statistics come from the rows the model is fitted on only (the training part in a hold-out or a
CV fold), so held-out rows never shape the fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from viewcast.followers.config import Strategy


def fill_value(observed: pd.Series, strategy: Strategy) -> float:
    """The statistic that replaces a missing cell; the mode breaks ties with the smallest value."""
    if strategy == "mean":
        return float(observed.mean())
    if strategy == "median":
        return float(observed.median())
    if strategy == "mode":
        counts = observed.value_counts()
        return float(min(counts.index[counts == counts.max()]))
    raise ValueError(f"no fill value for strategy {strategy!r}")


def choose_baseline(levels: pd.Series) -> str:
    """The most frequent level (smallest standard errors for the contrasts); ties alphabetically."""
    counts = levels.value_counts()
    top = counts[counts == counts.max()].index
    return sorted(top)[0]


def dummy_name(column: str, level: str) -> str:
    return f"{column}_{level}"


@dataclass
class Design:
    """Fitted preprocessing: raw numeric values and levels -> standardised terms with ``const``."""

    numeric: list[str]  # numeric input columns, in term order
    log_columns: list[str]  # those read on the log1p scale
    levels: dict[str, list[str]]  # categorical column -> known levels (sorted; baseline included)
    baselines: dict[str, str]
    fills: dict[str, float]  # column -> value of a missing cell (raw units)
    terms: list[str]  # the model's terms without ``const``, in term order
    mean: np.ndarray  # per term, on the modelled scale
    scale: np.ndarray  # population standard deviation per term
    sources: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # term -> (column, level)

    def __post_init__(self) -> None:
        if not self.sources:
            self.sources = candidate_sources(self.numeric, self.levels, self.baselines)

    def matrix(self, values: pd.DataFrame, levels: pd.DataFrame) -> pd.DataFrame:
        """``const`` and the standardised terms for rows of raw values (NaN = missing) and levels."""
        expanded = expand(values, levels, self.numeric, self.log_columns, self.fills, self.levels, self.baselines)
        standard = (expanded[self.terms] - self.mean) / self.scale
        return standard.assign(const=1.0)[["const", *self.terms]]

    def transform_of(self, term: str) -> str:
        """``log1p``, ``raw`` or ``dummy``: how a term reads its column."""
        column, level = self.sources[term]
        if level is not None:
            return "dummy"
        return "log1p" if column in self.log_columns else "raw"


def candidate_sources(numeric: list[str], levels: dict[str, list[str]], baselines: dict[str, str]) -> dict:
    """Every possible term and the column (and level) it comes from, in term order."""
    sources: dict[str, tuple[str, str | None]] = {c: (c, None) for c in numeric}
    for column, known in levels.items():
        for level in known:
            if level != baselines[column]:
                sources[dummy_name(column, level)] = (column, level)
    return sources


def expand(
    values: pd.DataFrame,
    levels: pd.DataFrame,
    numeric: list[str],
    log_columns: list[str],
    fills: dict[str, float],
    known_levels: dict[str, list[str]],
    baselines: dict[str, str],
) -> pd.DataFrame:
    """Every candidate term on its modelled scale (missing cells filled, logs taken, 0/1 dummies)."""
    filled = values[numeric].fillna({c: v for c, v in fills.items() if c in numeric}).astype(float)
    columns = {c: (np.log1p(filled[c]) if c in log_columns else filled[c]) for c in numeric}
    for column, known in known_levels.items():
        for level in known:
            if level != baselines[column]:
                columns[dummy_name(column, level)] = (levels[column] == level).astype(float)
    return pd.DataFrame(columns, index=values.index)


def learn_fills(values: pd.DataFrame, strategies: dict[str, Strategy]) -> dict[str, float]:
    """Fill values of the columns with a strategy, from the recorded cells of these rows.

    A column with no recorded cell in these rows gets no fill; the caller reports it.
    """
    fills = {}
    for column, strategy in strategies.items():
        observed = values[column].dropna()
        if len(observed):
            fills[column] = fill_value(observed, strategy)
    return fills
