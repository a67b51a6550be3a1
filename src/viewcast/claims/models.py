"""Model choice, training on the study's split (or K folds), saving and loading claim models.

``reference`` is the study's network; ``default`` is the linear model chosen because it keeps its
accuracy when the template shortcuts are taken away (see ``docs/claims.md`` and the benchmark).
The other linear settings are the candidates it was compared with; ``encoder`` is the optional,
slow sentence-encoder candidate (needs sentence-transformers).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from viewcast.claims.encoder import KIND as ENCODER_KIND
from viewcast.claims.encoder import EncoderClaimsModel, bundled_encoder_path
from viewcast.claims.linear import KIND as LINEAR_KIND
from viewcast.claims.linear import LinearClaimsModel, LinearConfig
from viewcast.claims.metrics import classification_metrics
from viewcast.claims.reference import KIND as REFERENCE_KIND
from viewcast.claims.reference import ReferenceClaimsModel
from viewcast.claims.schema import labels_to_int
from viewcast.claims.split import Split, stratified_folds, study_split
from viewcast.errors import DataValidationError, ModelLoadError
from viewcast.persist import load_model, save_model


class ClaimsModel(Protocol):
    name: str

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray: ...

    def predict(self, frame: pd.DataFrame) -> np.ndarray: ...

    def to_saved(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...


CUES_COUNTS = LinearConfig(use_cues=True, cue_weight=1.5, count_weight=0.03, C=30.0)
DEFAULT_CONFIG = CUES_COUNTS.model_copy(update={"bare_content": 0.5})
LINEAR_CANDIDATES: dict[str, LinearConfig] = {
    "numbers_only": LinearConfig(use_text=False),
    "text_only": LinearConfig(use_counts=False),
    "text_counts": LinearConfig(),
    "skip_opening": LinearConfig(skip_leading=2, count_weight=0.1),
    "cues_only": LinearConfig(use_text=False, use_cues=True, use_counts=False),
    "text_cues_counts": CUES_COUNTS,
    "default": DEFAULT_CONFIG,
}
MODEL_CHOICES = ("reference", "default", "encoder")


def make_model(name: str, *, epochs: int = 20, encoder: str | os.PathLike[str] | None = None) -> Any:
    """A fresh, unfitted model by name (``reference``, ``encoder`` or a linear candidate)."""
    if name == "reference":
        return ReferenceClaimsModel(epochs=epochs)
    if name == "encoder":
        path = encoder or bundled_encoder_path()
        if path is None:
            raise DataValidationError("--model encoder needs --encoder DIR (a sentence-transformers model directory)")
        return EncoderClaimsModel(path)
    if name in LINEAR_CANDIDATES:
        return LinearClaimsModel(LINEAR_CANDIDATES[name], name=name)
    raise DataValidationError(f"unknown model {name!r}; choose one of {', '.join((*MODEL_CHOICES, *LINEAR_CANDIDATES))}")


def fit_model(model: Any, train: pd.DataFrame, val: pd.DataFrame | None, seed: int) -> Any:
    """Fit either kind (only the network uses the validation rows, to pick its epoch)."""
    y = labels_to_int(train)
    if isinstance(model, ReferenceClaimsModel):
        return model.fit(train, y, None if val is None else (val, labels_to_int(val)), seed=seed)
    return model.fit(train, y, seed=seed)


@dataclass
class TrainResult:
    """A fitted model and how it was obtained."""

    model: Any
    split: Split
    seconds: float
    val_metrics: dict[str, Any]
    cv_metrics: list[dict[str, Any]] = field(default_factory=list)
    n_rows: int = 0

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model.name,
            "rows": self.n_rows,
            "train_rows": int(len(self.split.train)),
            "val_rows": int(len(self.split.val)),
            "test_rows": int(len(self.split.test)),
            "train_seconds": round(self.seconds, 3),
            "val_accuracy": self.val_metrics["accuracy"],
            "val_f1": self.val_metrics["f1"],
        }
        if self.cv_metrics:
            acc = np.array([m["accuracy"] for m in self.cv_metrics])
            f1 = np.array([m["f1"] for m in self.cv_metrics])
            out["cv"] = {
                "folds": len(self.cv_metrics),
                "accuracy_mean": float(acc.mean()),
                "accuracy_std": float(acc.std(ddof=1)),
                "f1_mean": float(f1.mean()),
                "f1_std": float(f1.std(ddof=1)),
                "per_fold": self.cv_metrics,
            }
        return out

    def save(self, directory: str | os.PathLike[str]) -> None:
        save_claims_model(directory, self.model, {"training": self.summary()})


def train_claims(
    frame: pd.DataFrame,
    model_name: str = "default",
    seed: int = 0,
    cv: int | None = None,
    epochs: int = 20,
    encoder: str | os.PathLike[str] | None = None,
) -> TrainResult:
    """Fit on the study's train split (validation = its 20 % of train); optionally K-fold CV too."""
    try:
        split = study_split(len(frame))
    except ValueError as exc:
        raise DataValidationError(str(exc)) from None
    cv_metrics: list[dict[str, Any]] = []
    if cv is not None:
        try:
            folds = stratified_folds(labels_to_int(frame), cv, seed)
        except ValueError as exc:
            raise DataValidationError(str(exc)) from None
        for train_rows, test_rows in folds:
            fold_model = fit_model(
                make_model(model_name, epochs=epochs, encoder=encoder), frame.iloc[train_rows].reset_index(drop=True), None, seed
            )
            test = frame.iloc[test_rows].reset_index(drop=True)
            cv_metrics.append(classification_metrics(labels_to_int(test), fold_model.predict_proba(test)))
    train = frame.iloc[split.train].reset_index(drop=True)
    val = frame.iloc[split.val].reset_index(drop=True)
    start = time.perf_counter()
    model = fit_model(make_model(model_name, epochs=epochs, encoder=encoder), train, val, seed)
    seconds = time.perf_counter() - start
    val_metrics = classification_metrics(labels_to_int(val), model.predict_proba(val))
    return TrainResult(model, split, seconds, val_metrics, cv_metrics, n_rows=len(frame))


def save_claims_model(directory: str | os.PathLike[str], model: Any, extra: dict[str, Any] | None = None) -> None:
    config, tensors = model.to_saved()
    kind = {ReferenceClaimsModel: REFERENCE_KIND, EncoderClaimsModel: ENCODER_KIND, LinearClaimsModel: LINEAR_KIND}[type(model)]
    save_model(directory, kind, {**config, **(extra or {})}, tensors)


def load_claims_model(directory: str | os.PathLike[str]) -> Any:
    """Load and verify a saved claims model; never executes code from the directory."""
    saved = load_model(directory)
    classes = {LINEAR_KIND: LinearClaimsModel, REFERENCE_KIND: ReferenceClaimsModel, ENCODER_KIND: EncoderClaimsModel}
    if saved.kind not in classes:
        raise ModelLoadError(f"{directory}: holds a '{saved.kind}' model, not a claims model")
    model = classes[saved.kind].from_saved(saved.config, saved.tensors, str(directory))
    training = saved.config.get("training")
    model.training_summary_ = training if isinstance(training, dict) else {}
    return model
