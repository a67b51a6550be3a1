"""What the claims analysis returns: a trained model, an EDA with its leakage audit, an evaluation,
a scored batch. Each has ``to_dict()`` (strict JSON) and writes itself whole through
:mod:`viewcast.io.outputs`; figures and HTML come from :mod:`viewcast.claims.report`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from viewcast.claims.config import ClaimsConfig
from viewcast.claims.data import CLASSES
from viewcast.claims.leakage import Finding
from viewcast.claims.models.base import ClaimsModel
from viewcast.io.jsonable import to_jsonable
from viewcast.io.outputs import check_output_file, output_file, output_folder

PREDICTION_SUFFIXES = (".csv", ".jsonl")


@dataclass
class ClaimsResult:
    """A model fitted on the study's training part, and how it was obtained (``viewcast.claims``).

    ``save(dir)`` writes the model folder; its manifest keeps :meth:`to_dict` as the training
    metrics, so ``viewcast.load_model(dir).describe()`` still tells how it was trained.
    """

    model: ClaimsModel
    config: ClaimsConfig
    source: str
    rows: int
    dropped_unlabelled: int
    split: dict[str, int]
    train_seconds: float
    validation: dict[str, Any]
    cv_folds: list[dict[str, Any]] = field(default_factory=list)

    def cv_summary(self) -> dict[str, Any] | None:
        """Mean and sample standard deviation of accuracy and F1 over the folds (None without CV)."""
        if not self.cv_folds:
            return None
        accuracy = np.array([m["accuracy"] for m in self.cv_folds])
        f1 = np.array([m["f1"] for m in self.cv_folds])
        return {
            "folds": len(self.cv_folds),
            "accuracy_mean": float(accuracy.mean()),
            "accuracy_std": float(accuracy.std(ddof=1)),
            "f1_mean": float(f1.mean()),
            "f1_std": float(f1.std(ddof=1)),
            "per_fold": self.cv_folds,
        }

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model.name,
            "kind": self.model.KIND,
            "source": self.source,
            "rows": self.rows,
            "dropped_unlabelled": self.dropped_unlabelled,
            "train_rows": self.split["train"],
            "val_rows": self.split["val"],
            "test_rows": self.split["test"],
            "train_seconds": round(self.train_seconds, 3),
            "val_accuracy": self.validation["accuracy"],
            "val_f1": self.validation["f1"],
            "validation": self.validation,
            "config": self.config.model_dump(mode="json"),
        }
        cv = self.cv_summary()
        if cv is not None:
            out["cv"] = cv
        return to_jsonable(out)

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the model folder (see :meth:`ClaimsModel.save`)."""
        return self.model.save(directory)


@dataclass
class EdaResult:
    """Class balance, missing cells, telling terms and the leakage audit of a labelled table."""

    rows: int
    class_counts: dict[str, int]
    missing: dict[str, int]
    dropped_unlabelled: int
    telling_terms: dict[str, list[tuple[str, float, int]]]
    findings: list[Finding]
    frame_: pd.DataFrame  # the loaded table, for the figures

    @property
    def shortcuts(self) -> list[Finding]:
        """The findings flagged as shortcuts."""
        return [f for f in self.findings if f.leak]

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "rows": self.rows,
                "class_counts": self.class_counts,
                "missing": self.missing,
                "dropped_unlabelled": self.dropped_unlabelled,
                "telling_terms": {
                    label: [{"term": t, "log_odds": s, "count": c} for t, s, c in terms]
                    for label, terms in self.telling_terms.items()
                },
                "leakage_audit": self.findings,
            }
        )

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """``eda.json``, the figures as PNGs and ``report.html`` (figures embedded)."""
        from viewcast.claims import report

        with output_folder(directory, kind="claims-eda") as out:
            images = report.write_figures(out, report.eda_figures(self))
            out.json("eda.json", self.to_dict())
            out.text("report.html", report.eda_html(self, images))
        return Path(directory)


@dataclass
class EvaluationResult:
    """Metrics on the study's test split and on its stress copies, and the videos the model got wrong."""

    model_name: str
    metrics: dict[str, Any]
    stress: dict[str, dict[str, Any]]
    misclassified: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    top_terms: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    y_true_: np.ndarray = field(default_factory=lambda: np.empty(0))
    p_opinion_: np.ndarray = field(default_factory=lambda: np.empty(0))

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "model": self.model_name,
                **self.metrics,
                "stress": self.stress,
                "warnings": self.warnings,
                "top_terms": {label: [{"term": t, "weight": w} for t, w in terms] for label, terms in self.top_terms.items()},
            }
        )

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """``metrics.json``, ``misclassified.csv``, the figures as PNGs and ``report.html``."""
        from viewcast.claims import report

        with output_folder(directory, kind="claims-evaluation") as out:
            images = report.write_figures(out, report.evaluation_figures(self))
            out.json("metrics.json", self.to_dict())
            out.csv("misclassified.csv", self.misclassified)
            out.text("report.html", report.evaluation_html(self, images))
        return Path(directory)


@dataclass
class BatchPredictions:
    """A scored table: the input's model columns (and ids) plus ``label``, ``probability``, ``p_opinion``."""

    table: pd.DataFrame

    def label_counts(self) -> dict[str, int]:
        counts = self.table["label"].value_counts()
        return {label: int(counts.get(label, 0)) for label in CLASSES}

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({"rows": len(self.table), "labels": self.label_counts(), "predictions": self.table.to_dict("records")})

    def save(self, path: str | os.PathLike[str], *, param: str | None = "output") -> Path:
        """Write ``.csv`` or ``.jsonl`` (by the suffix), whole or not at all."""
        check_output_file(path, param=param, suffixes=PREDICTION_SUFFIXES)
        table = _whole_numbers_as_int(self.table)
        with output_file(path, param=param) as temp:
            if Path(path).suffix.lower() == ".csv":
                table.to_csv(temp, index=False)
            else:
                table.to_json(temp, orient="records", lines=True, force_ascii=False)
        return Path(path)


def _whole_numbers_as_int(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts and ids back as integers (they were parsed as floats) where every value is whole."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all() and values.abs().max() < 2**53:
            out[column] = values.astype("Int64")
    return out
