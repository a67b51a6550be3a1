"""Leakage audit: shortcuts that let a model score near 100 % without recognising claims.

Run on the study's split of any table in the claims schema, it looks for four kinds of shortcut:

* transcripts of the test split that also occur, word for word, in the training split;
* leading n-grams (the first 1..4 words) whose training rows all carry one label, and how well the
  rule "opening -> its training label" predicts the test split;
* single-feature rules (one threshold on one count, or one category -> label) that nearly
  separate the classes;
* row numbers or ids that are sorted by, or correlated with, the label.

Each finding comes with a plain sentence on what it means for a reported accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from viewcast.claims.data import BAN, COUNTS, DURATION, ROW_NUMBER, TEXT, VERIFIED, VIDEO_ID, labels_to_int
from viewcast.claims.evaluation import study_split
from viewcast.claims.text import normalise

LEAK_ACCURACY = 0.95  # a one-line rule at least this accurate is a shortcut worth flagging
MAX_OPENING = 4


@dataclass
class Finding:
    """One check of the audit: what was tested, what was found, and what it means for a reported accuracy."""

    check: str
    detail: str
    test_accuracy: float | None
    leak: bool
    meaning: str


def best_threshold_rule(x: np.ndarray, y: np.ndarray) -> tuple[float, int, float]:
    """(threshold, class predicted for x <= threshold, training accuracy) of the best one-split rule."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    n = len(xs)
    ones_below = np.cumsum(ys)
    below = np.arange(1, n + 1)
    cut = np.flatnonzero(np.r_[xs[1:] != xs[:-1], True])  # last index of each distinct value
    ones_total = ones_below[-1]
    zeros_below = below[cut] - ones_below[cut]
    ones_above = ones_total - ones_below[cut]
    acc_low0 = (zeros_below + ones_above) / n  # x <= t -> class 0
    acc_low1 = (ones_below[cut] + (n - below[cut] - ones_above)) / n  # x <= t -> class 1
    i0, i1 = int(np.argmax(acc_low0)), int(np.argmax(acc_low1))
    if acc_low0[i0] >= acc_low1[i1]:
        return float(xs[cut[i0]]), 0, float(acc_low0[i0])
    return float(xs[cut[i1]]), 1, float(acc_low1[i1])


def _openings(texts: pd.Series, n: int) -> pd.Series:
    return normalise(texts).str.split().str[:n].str.join(" ")


def _rule_accuracy(
    train_keys: pd.Series, y_train: np.ndarray, test_keys: pd.Series, y_test: np.ndarray
) -> tuple[float, int, float]:
    """Accuracy on test of 'key -> majority training label' (unseen keys -> overall majority); distinct keys; pure share."""
    table = pd.DataFrame({"key": train_keys.to_numpy(), "y": y_train}).groupby("key")["y"].agg(["mean", "size"])
    majority = float(y_train.mean() >= 0.5)
    predicted = test_keys.map((table["mean"] >= 0.5).astype(float)).fillna(majority).to_numpy()
    pure = table["mean"].isin([0.0, 1.0])
    pure_share = float(table.loc[pure, "size"].sum() / table["size"].sum())
    return float((predicted == y_test).mean()), int(len(table)), pure_share


def audit_leakage(frame: pd.DataFrame) -> list[Finding]:
    """All findings, on the study's split of ``frame`` (training = train + validation rows)."""
    split = study_split(len(frame))
    seen_rows = np.concatenate([split.train, split.val])  # everything a model sees before the test split
    train, test = frame.iloc[seen_rows].reset_index(drop=True), frame.iloc[split.test].reset_index(drop=True)
    y_train, y_test = labels_to_int(train), labels_to_int(test)
    return [
        _duplicates(train, test),
        *_opening_findings(train, y_train, test, y_test),
        *_single_feature_findings(train, y_train, test, y_test),
        *_id_findings(frame),
    ]


def _duplicates(train: pd.DataFrame, test: pd.DataFrame) -> Finding:
    seen = set(normalise(train[TEXT]).str.split().str.join(" "))
    test_texts = normalise(test[TEXT]).str.split().str.join(" ")
    repeated = int(test_texts.isin(seen).sum())
    return Finding(
        "duplicate transcripts across splits",
        f"{repeated:,} of {len(test):,} test transcripts occur word for word in the training + validation rows",
        None,
        repeated > 0,
        "those test videos were effectively seen in training, so their predictions measure memory, not generalisation"
        if repeated
        else "no test transcript was seen in training",
    )


def _opening_findings(train: pd.DataFrame, y_train: np.ndarray, test: pd.DataFrame, y_test: np.ndarray) -> list[Finding]:
    findings = []
    for n in range(1, MAX_OPENING + 1):
        accuracy, distinct, pure = _rule_accuracy(_openings(train[TEXT], n), y_train, _openings(test[TEXT], n), y_test)
        leak = accuracy >= LEAK_ACCURACY
        findings.append(
            Finding(
                f"first {n} word{'s' if n > 1 else ''} of the transcript",
                f"{distinct:,} distinct openings in training, {pure:.1%} of training rows have an opening seen with one label only",
                accuracy,
                leak,
                f"the opening alone predicts the test label with accuracy {accuracy:.3f}: a model can reach that score by "
                "reading the template's first words, so a test accuracy near 1 says nothing about transcripts phrased otherwise"
                if leak
                else "the opening alone does not give the label away",
            )
        )
        if leak:
            break  # longer openings only leak more
    return findings


def _single_feature_findings(train: pd.DataFrame, y_train: np.ndarray, test: pd.DataFrame, y_test: np.ndarray) -> list[Finding]:
    findings = []
    numeric = [c for c in (*COUNTS, DURATION) if c in train.columns and train[c].notna().all() and test[c].notna().all()]
    for column in numeric:
        threshold, low_class, _ = best_threshold_rule(train[column].to_numpy(float), y_train)
        predicted = np.where(test[column].to_numpy(float) <= threshold, low_class, 1 - low_class)
        accuracy = float((predicted == y_test).mean())
        label = ("claim", "opinion")
        leak = accuracy >= LEAK_ACCURACY
        findings.append(
            Finding(
                f"one rule on {column}",
                f"'{column} <= {threshold:,.0f} -> {label[low_class]}, else {label[1 - low_class]}'",
                accuracy,
                leak,
                f"a single threshold scores {accuracy:.3f}: a model given this column can ignore the transcript entirely, and "
                "will fail on claims with few views or opinions with many"
                if leak
                else "this column alone does not separate the classes",
            )
        )
    for column in (VERIFIED, BAN):
        accuracy, distinct, _ = _rule_accuracy(train[column], y_train, test[column], y_test)
        findings.append(
            Finding(
                f"one rule on {column}",
                f"majority label of each of its {distinct} categories",
                accuracy,
                accuracy >= LEAK_ACCURACY,
                "the category alone nearly gives the label away"
                if accuracy >= LEAK_ACCURACY
                else "this category alone does not separate the classes",
            )
        )
    return findings


def _id_findings(frame: pd.DataFrame) -> list[Finding]:
    """Row numbers or ids ordered by class: label runs along the id, and the id's AUC for the label."""
    from sklearn.metrics import roc_auc_score

    findings = []
    y = labels_to_int(frame)
    for column in (ROW_NUMBER, VIDEO_ID):
        if column not in frame.columns or frame[column].isna().any():
            continue
        values = frame[column].to_numpy(float)
        ys = y[np.argsort(values, kind="stable")]
        runs = int(1 + np.count_nonzero(ys[1:] != ys[:-1]))
        auc = float(roc_auc_score(y, values))
        strength = abs(auc - 0.5) * 2
        leak = strength >= 0.5 or runs <= 10
        findings.append(
            Finding(
                f"{column} vs label",
                f"sorted by {column}, the labels form {runs:,} run{'s' if runs > 1 else ''}; AUC of {column} for 'opinion' = {auc:.3f}",
                None,
                leak,
                f"the table is ordered by class along {column}: keep it out of the features, and never split by position"
                if leak
                else f"{column} carries no label information",
            )
        )
    return findings
