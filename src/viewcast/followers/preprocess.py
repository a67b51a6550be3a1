"""Imputation and standardisation learnt from training rows only (no test-set leakage).

The study filled its zeros over the whole sheet before splitting, so the test videos shaped the
training data. Here the statistics are fitted on the training part and then applied unchanged to
the test part (and, in cross-validation, refitted inside each fold).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
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


class Preprocessor:
    """Fill missing cells, then standardise predictors; ``log1p`` the target.

    scikit-learn style: the constructor stores settings, :meth:`fit` learns ``fill_``,
    ``target_fill_``, ``mean_`` and ``scale_`` (population standard deviation, as
    ``StandardScaler``) from the training rows.
    """

    def __init__(self, strategies: dict[str, Strategy], target: str, where: str = "training part") -> None:
        self.strategies = strategies
        self.target = target
        self.where = where

    def fit(self, X: pd.DataFrame, y: pd.Series) -> Preprocessor:
        self.fill_ = {c: self._fit_fill(X[c], s) for c, s in self.strategies.items() if c in X.columns}
        self.target_fill_ = self._fit_fill(y, self.strategies[self.target]) if self.target in self.strategies else None
        filled = self.impute(X)
        self.mean_ = filled.mean()
        self.scale_ = filled.std(ddof=0)
        constant = self.scale_.index[~(self.scale_ > 0)].tolist()
        if constant:
            raise DataValidationError(
                f"column {constant[0]!r} is constant in the {self.where} ({len(X)} rows): cannot estimate its effect; "
                "raise --min-level-count, change --seed or --ignore it"
            )
        return self

    def _fit_fill(self, column: pd.Series, strategy: Strategy) -> float:
        observed = column.dropna()
        if observed.empty:
            raise DataValidationError(f"column {column.name!r} has no recorded values in the {self.where}")
        return fill_value(observed, strategy)

    def impute(self, X: pd.DataFrame) -> pd.DataFrame:
        """Missing predictor cells replaced by the training statistic (raw units)."""
        return X.fillna(self.fill_)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Imputed and standardised predictors with a leading ``const`` column."""
        standard = (self.impute(X) - self.mean_) / self.scale_
        return standard.assign(const=1.0)[["const", *X.columns]]

    def transform_target(self, y: pd.Series) -> pd.Series:
        """``log1p`` of the target, missing values filled with the training statistic first."""
        filled = y.fillna(self.target_fill_) if self.target_fill_ is not None else y
        return np.log1p(filled).rename(f"log1p({self.target})")
