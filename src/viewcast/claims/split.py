"""The study's train/validation/test split, and stratified folds for cross-validation.

The study called ``train_test_split(test_size=0.2, random_state=1)`` on the whole table, then the
same on the training part for validation. The shuffle depends only on the number of rows, so
splitting row positions reproduces its exact partition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Row positions of each part."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def study_split(n_rows: int, random_state: int = 1, test_size: float = 0.2) -> Split:
    """Reproduce the study's two-stage split of ``n_rows`` rows."""
    from sklearn.model_selection import train_test_split

    if n_rows < 10:
        raise ValueError(f"need at least 10 rows to split into train/validation/test, got {n_rows}")
    rest, test = train_test_split(np.arange(n_rows), test_size=test_size, random_state=random_state)
    train, val = train_test_split(rest, test_size=test_size, random_state=random_state)
    return Split(np.asarray(train), np.asarray(val), np.asarray(test))


def stratified_folds(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row positions of ``k`` stratified, shuffled folds."""
    from sklearn.model_selection import StratifiedKFold

    if k < 2:
        raise ValueError("--cv needs at least 2 folds")
    if np.bincount(y, minlength=2).min() < k:
        raise ValueError(f"--cv {k}: the smaller class has fewer than {k} rows")
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(np.asarray(a), np.asarray(b)) for a, b in folds.split(np.zeros(len(y)), y)]
