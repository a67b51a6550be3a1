"""Evaluate a saved model on the study's test split and on stress copies of it.

The test split is rebuilt from DATA exactly as in training. Beside the plain metrics the result
holds the same metrics on each stress copy (and on the hand-written off-template set) with the drop
from the plain accuracy: a model that learned the content loses little, one that learned the
template loses a lot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from viewcast.atomic import save_figure, write_csv, write_json
from viewcast.claims.metrics import classification_metrics
from viewcast.claims.predict import label_rows
from viewcast.claims.schema import LABEL, TEXT, labels_to_int
from viewcast.claims.split import study_split
from viewcast.claims.stress import off_template_set, stress_copies
from viewcast.errors import DataValidationError


@dataclass
class EvaluationResult:
    model_name: str
    metrics: dict[str, Any]
    stress: dict[str, dict[str, Any]]
    y_true: np.ndarray
    p_opinion: np.ndarray
    misclassified: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    top_terms: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_name,
            **self.metrics,
            "stress": self.stress,
            "warnings": self.warnings,
            "top_terms": {label: [{"term": t, "weight": w} for t, w in terms] for label, terms in self.top_terms.items()},
        }

    def save(self, directory: str | os.PathLike[str]) -> Path:
        from viewcast.report.html import embed_png, write_report

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "metrics.json", self.as_dict())
        write_csv(out / "misclassified.csv", self.misclassified)
        plots = {
            "confusion": save_figure(out / "confusion.png", _confusion_figure(self.metrics["confusion"])),
            "calibration": save_figure(out / "calibration.png", _calibration_figure(self.y_true, self.p_opinion)),
            "stress": save_figure(out / "stress.png", _stress_figure(self.metrics["accuracy"], self.stress)),
        }
        write_report(
            out / "report.html",
            "claims_evaluate.html",
            result=self.as_dict(),
            plots={k: embed_png(v) for k, v in plots.items()},
            misclassified=self.misclassified.head(20).to_dict("records"),
        )
        return out


def evaluate_claims(model: Any, frame: pd.DataFrame, *, seed: int = 0, trained_rows: int | None = None) -> EvaluationResult:
    """Metrics on the study's test split of ``frame`` and on its stress copies."""
    try:
        test = frame.iloc[study_split(len(frame)).test].reset_index(drop=True)
    except ValueError as exc:
        raise DataValidationError(str(exc)) from None
    warnings = []
    if trained_rows is not None and trained_rows != len(frame):
        warnings.append(
            f"the model was trained on a table of {trained_rows:,} rows, this one has {len(frame):,}: the 'test split' "
            "here is not the one held out in training, so the figures may include training rows"
        )
    y = labels_to_int(test)
    scored = label_rows(model, test)
    metrics = classification_metrics(y, scored["p_opinion"].to_numpy())
    stress: dict[str, dict[str, Any]] = {}
    sets = {**stress_copies(test, seed), "off_template": off_template_set(seed)}
    for name, copy in sets.items():
        stressed = classification_metrics(labels_to_int(copy), model.predict_proba(copy))
        stressed["drop"] = metrics["accuracy"] - stressed["accuracy"] if name != "off_template" else None
        stress[name] = stressed
    wrong = scored["label"].to_numpy() != test[LABEL].to_numpy()
    misclassified = pd.concat([test.loc[wrong], scored.loc[wrong]], axis=1)
    misclassified = misclassified[[LABEL, "label", "probability", TEXT, *[c for c in test.columns if c not in (LABEL, TEXT)]]]
    top_terms = model.top_terms() if hasattr(model, "top_terms") else {}
    return EvaluationResult(
        model.name,
        metrics,
        stress,
        y,
        scored["p_opinion"].to_numpy(),
        misclassified.rename(columns={"label": "predicted"}),
        warnings,
        top_terms,
    )


def _confusion_figure(confusion: list[list[int]]):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3.5))
    matrix = np.asarray(confusion)
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, f"{value:,}", ha="center", va="center", color="white" if value > matrix.max() / 2 else "black")
    ax.set_xticks([0, 1], ["claim", "opinion"])
    ax.set_yticks([0, 1], ["claim", "opinion"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("confusion matrix (test split)")
    return fig


def _calibration_figure(y: np.ndarray, p: np.ndarray, bins: int = 10):
    import matplotlib.pyplot as plt

    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    mean_p = [p[which == b].mean() for b in range(bins) if (which == b).any()]
    frac = [y[which == b].mean() for b in range(bins) if (which == b).any()]
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    ax.plot(mean_p, frac, "o-", label="model")
    ax.set_xlabel("predicted P(opinion)")
    ax.set_ylabel("observed share of opinions")
    ax.set_title("calibration (test split)")
    ax.legend()
    return fig


def _stress_figure(base: float, stress: dict[str, dict[str, Any]]):
    import matplotlib.pyplot as plt

    names = ["test split", *stress]
    values = [base, *(s["accuracy"] for s in stress.values())]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh(names[::-1], values[::-1], color=["#2f6fde"] * len(stress) + ["#1f4fa8"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy")
    ax.set_title("accuracy when the shortcuts are taken away")
    for i, v in enumerate(values[::-1]):
        ax.text(min(v, 0.98), i, f"{v:.3f}", va="center", ha="right", color="white")
    return fig
