"""Judging a claims model: the study's split, its metrics, and stress copies that take shortcuts away.

* The split: the study called ``train_test_split(test_size=0.2, random_state=1)`` on the whole
  table, then the same on the training part for validation. The shuffle depends only on the
  number of rows, so splitting row positions reproduces its exact partition.
* The metrics: accuracy, precision, recall, F1 with opinion as the positive class, as the study
  reported them, plus ROC AUC and the confusion matrix.
* The stress copies: on the study's data a model can score 0.99+ by reading the opening words or
  the view count. Each copy breaks one shortcut while keeping the meaning a person would read:
  ``no_opening`` (the first two words of every transcript removed), ``typos`` (about one word in
  four gets a character swapped, dropped or doubled), ``counts_shuffled`` (the five engagement
  counts permuted between rows). The hand-written ``off_template`` set
  (:mod:`~viewcast.claims.off_template`) is scored beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from viewcast.claims.data import COUNTS, TEXT, labels_to_int
from viewcast.claims.off_template import off_template_set
from viewcast.errors import ConfigError, DataValidationError


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
        raise DataValidationError(f"need at least 10 labelled rows to split into train/validation/test, got {n_rows}")
    rest, test = train_test_split(np.arange(n_rows), test_size=test_size, random_state=random_state)
    train, val = train_test_split(rest, test_size=test_size, random_state=random_state)
    return Split(np.asarray(train), np.asarray(val), np.asarray(test))


def stratified_folds(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row positions of ``k`` stratified, shuffled folds."""
    from sklearn.model_selection import StratifiedKFold

    if k < 2:
        raise ConfigError("needs at least 2 folds", param="cv")
    smaller = int(np.bincount(y, minlength=2).min())
    if smaller < k:
        raise ConfigError(f"{k} folds, but the smaller class has only {smaller} rows", param="cv")
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(np.asarray(a), np.asarray(b)) for a, b in folds.split(np.zeros(len(y)), y)]


def classification_metrics(y_true: np.ndarray, p_opinion: np.ndarray) -> dict[str, float | int | list[list[int]]]:
    """Accuracy, precision, recall, F1 (positive = opinion), ROC AUC and the confusion matrix.

    ``confusion[i][j]`` counts rows of true class i (0 claim, 1 opinion) predicted as j.
    """
    from sklearn.metrics import roc_auc_score

    y_true = np.asarray(y_true, dtype=int)
    y_pred = (np.asarray(p_opinion) >= 0.5).astype(int)
    tp = int(((y_pred == 1) & (y_true == 1)).sum())
    fp = int(((y_pred == 1) & (y_true == 0)).sum())
    fn = int(((y_pred == 0) & (y_true == 1)).sum())
    tn = int(((y_pred == 0) & (y_true == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auc = float(roc_auc_score(y_true, p_opinion)) if len(np.unique(y_true)) == 2 else float("nan")
    return {
        "n": int(len(y_true)),
        "accuracy": float((y_pred == y_true).mean()) if len(y_true) else float("nan"),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "roc_auc": auc,
        "confusion": [[tn, fp], [fn, tp]],
    }


OPENING_WORDS = 2


def drop_opening(frame: pd.DataFrame, words: int = OPENING_WORDS) -> pd.DataFrame:
    out = frame.copy()
    out[TEXT] = [" ".join(str(t).split()[words:]) for t in frame[TEXT]]
    return out


def inject_typos(frame: pd.DataFrame, rate: float = 0.25, seed: int = 0) -> pd.DataFrame:
    """Each word of three letters or more gets, with probability ``rate``, one random edit."""
    rng = np.random.default_rng(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"

    def garble(word: str) -> str:
        if len(word) < 3 or rng.random() >= rate:
            return word
        i = int(rng.integers(1, len(word) - 1))
        edit = rng.integers(3)
        if edit == 0:
            return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
        if edit == 1:
            return word[:i] + word[i + 1 :]
        return word[:i] + letters[int(rng.integers(26))] + word[i:]

    out = frame.copy()
    out[TEXT] = [" ".join(garble(w) for w in str(t).split()) for t in frame[TEXT]]
    return out


def shuffle_counts(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Permute whole rows of the five counts (their joint distribution is kept)."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    order = rng.permutation(len(frame))
    out[list(COUNTS)] = frame[list(COUNTS)].to_numpy()[order]
    return out


STRESS_COPIES: dict[str, Callable[[pd.DataFrame, int], pd.DataFrame]] = {
    "no_opening": lambda frame, seed: drop_opening(frame),
    "typos": lambda frame, seed: inject_typos(frame, seed=seed),
    "counts_shuffled": lambda frame, seed: shuffle_counts(frame, seed=seed),
}


def stress_copies(frame: pd.DataFrame, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Every stress copy of ``frame`` (labels unchanged)."""
    return {name: make(frame, seed) for name, make in STRESS_COPIES.items()}


def score_sets(model: Any, test: pd.DataFrame, seed: int = 0) -> tuple[dict[str, Any], dict[str, dict[str, Any]], np.ndarray]:
    """Metrics on ``test``, on each stress copy and on the off-template set; and P(opinion) on ``test``.

    Each stressed entry carries ``drop``: the test accuracy minus its own (None for the
    off-template set, which is not a copy of the test rows).
    """
    p_opinion = model.predict_proba(test)
    metrics = classification_metrics(labels_to_int(test), p_opinion)
    stress: dict[str, dict[str, Any]] = {}
    for name, copy in {**stress_copies(test, seed), "off_template": off_template_set(seed)}.items():
        stressed = classification_metrics(labels_to_int(copy), model.predict_proba(copy))
        stressed["drop"] = metrics["accuracy"] - stressed["accuracy"] if name != "off_template" else None
        stress[name] = stressed
    return metrics, stress, p_opinion
