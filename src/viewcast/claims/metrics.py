"""Classification metrics with opinion as the positive class, as the study reported them."""

from __future__ import annotations

import numpy as np


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
