"""The claims analysis as pure functions: train (``run``), explore (``eda``), judge (``evaluate``), score (``predict_table``).

Each takes a table (a path or a DataFrame in the study's schema, see :mod:`viewcast.claims.data`)
and returns a result object; nothing here prints or writes files. Training and evaluation use
the study's split (train/validation/test = 64/16/20 %, ``random_state=1``), so a model trained by
``run`` on a table is evaluated by ``evaluate`` on exactly the rows it never saw.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from viewcast.claims.config import ClaimsConfig, EvaluationConfig
from viewcast.claims.data import CLASSES, LABEL, POSITIVE, TEXT, labels_to_int, load_claims
from viewcast.claims.evaluation import classification_metrics, score_sets, stratified_folds, study_split
from viewcast.claims.leakage import audit_leakage
from viewcast.claims.models.base import ClaimsModel, label_table
from viewcast.claims.models.candidates import fit_model, make_model
from viewcast.claims.result import BatchPredictions, ClaimsResult, EdaResult, EvaluationResult
from viewcast.claims.text import telling_terms
from viewcast.compute import BackendConfig, run_partitions
from viewcast.errors import ConfigError, DataValidationError
from viewcast.progress import progress_bar

Table = str | os.PathLike[str] | pd.DataFrame
#: Files of a batch folder that :func:`predict_table` scores.
BATCH_SUFFIXES = (".csv", ".parquet", ".jsonl", ".json")


def run(data: Table, config: ClaimsConfig | None = None) -> ClaimsResult:
    """Fit ``config.model`` on the study's training part (validation = its 20 % of train); optionally K-fold CV too.

    The saved model is always the one fitted on the training part, so ``evaluate`` stays honest;
    cross-validation only adds per-fold and mean ± sd accuracy and F1 to the result.
    """
    config = ClaimsConfig.parse(config)
    frame = load_claims(data)
    split = study_split(len(frame))

    def fresh() -> ClaimsModel:
        return make_model(config.model, epochs=config.epochs, encoder=config.encoder)

    fresh()  # an unusable choice (the encoder without its folder) fails before any fitting
    cv_folds: list[dict[str, Any]] = []
    if config.cv is not None:
        folds = stratified_folds(labels_to_int(frame), config.cv, config.seed)
        with progress_bar("cross-validation", total=len(folds)) as advance:
            for train_rows, test_rows in folds:
                model = fit_model(fresh(), frame.iloc[train_rows].reset_index(drop=True), None, config.seed)
                test = frame.iloc[test_rows].reset_index(drop=True)
                cv_folds.append(classification_metrics(labels_to_int(test), model.predict_proba(test)))
                advance()
    train = frame.iloc[split.train].reset_index(drop=True)
    val = frame.iloc[split.val].reset_index(drop=True)
    start = time.perf_counter()
    model = fit_model(fresh(), train, val, config.seed)
    seconds = time.perf_counter() - start
    result = ClaimsResult(
        model=model,
        config=config,
        source=_source(data),
        rows=len(frame),
        dropped_unlabelled=int(frame.attrs.get("dropped_unlabelled", 0)),
        split={"train": len(split.train), "val": len(split.val), "test": len(split.test)},
        train_seconds=seconds,
        validation=classification_metrics(labels_to_int(val), model.predict_proba(val)),
        cv_folds=cv_folds,
    )
    model.training = result.to_dict()
    return result


def eda(data: Table) -> EdaResult:
    """Class balance, missing cells (of the table as given), telling terms and the leakage audit."""
    frame = load_claims(data)
    counts = frame[LABEL].value_counts()
    return EdaResult(
        rows=len(frame),
        class_counts={c: int(counts.get(c, 0)) for c in CLASSES},
        missing=dict(frame.attrs.get("missing", {})),
        dropped_unlabelled=int(frame.attrs.get("dropped_unlabelled", 0)),
        telling_terms=telling_terms(frame[TEXT], frame[LABEL].to_numpy() == POSITIVE, CLASSES),
        findings=audit_leakage(frame),
        frame_=frame,
    )


def evaluate(model: ClaimsModel, data: Table, config: EvaluationConfig | None = None) -> EvaluationResult:
    """Metrics on the study's test split of ``data`` and on its stress copies.

    ``data`` should be the table the model was trained on: its test split is rebuilt from the
    number of rows, and a warning says so when the model was trained on a table of another size.
    """
    config = EvaluationConfig.parse(config)
    frame = load_claims(data)
    test = frame.iloc[study_split(len(frame)).test].reset_index(drop=True)
    warnings = []
    trained_rows = model.training_summary().get("rows")
    if isinstance(trained_rows, int) and trained_rows != len(frame):
        warnings.append(
            f"the model was trained on a table of {trained_rows:,} rows, this one has {len(frame):,}: the 'test split' "
            "here is not the one held out in training, so the figures may include training rows"
        )
    metrics, stress, p_opinion = score_sets(model, test, config.seed)
    scored = label_table(p_opinion)
    wrong = scored["label"].to_numpy() != test[LABEL].to_numpy()
    misclassified = pd.concat([test.loc[wrong], scored.loc[wrong]], axis=1)
    misclassified = misclassified[[LABEL, "label", "probability", TEXT, *[c for c in test.columns if c not in (LABEL, TEXT)]]]
    return EvaluationResult(
        model_name=model.name,
        metrics=metrics,
        stress=stress,
        misclassified=misclassified.rename(columns={"label": "predicted"}).reset_index(drop=True),
        warnings=warnings,
        top_terms=model.top_terms() if hasattr(model, "top_terms") else {},
        y_true_=labels_to_int(test),
        p_opinion_=p_opinion,
    )


def predict_table(model: ClaimsModel, data: Table, backend: BackendConfig | None = None) -> BatchPredictions:
    """Score a table of raw videos (no label needed): its model columns and ids plus the predictions.

    ``data`` may be a folder of tables (:data:`BATCH_SUFFIXES`): each file is scored as a partition
    (on a Dask worker with ``backend`` dask, which loads the model from its saved folder) and the
    predictions are joined in file-name order, the rows of the local run exactly.
    """
    if isinstance(data, pd.DataFrame) or not Path(data).is_dir():
        return BatchPredictions(_scored(model, data))
    files = batch_files(data)
    backend = backend or BackendConfig()
    if backend.backend == "local":
        score: Callable[[str], pd.DataFrame] = functools.partial(_scored, model)
    else:
        folder = getattr(model, "path_", None)
        if folder is None:
            raise ConfigError("a Dask worker loads the model from its folder: save the model and load it first", param="backend")
        score = functools.partial(_scored_by_saved, str(folder))
    tables = run_partitions(score, [str(f) for f in files], backend, what="files of claims predictions")
    return BatchPredictions(pd.concat(tables, ignore_index=True))


def batch_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The tables of a batch folder, by name (hidden files and other suffixes are not tables)."""
    files = sorted(
        p for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in BATCH_SUFFIXES
    )
    if not files:
        raise DataValidationError(f"{folder}: no tables in the folder (expected {', '.join(BATCH_SUFFIXES)} files)")
    return files


def _scored(model: ClaimsModel, data: Table) -> pd.DataFrame:
    frame = load_claims(data, with_label=False)
    return pd.concat([frame, label_table(model.predict_proba(frame))], axis=1)


def _scored_by_saved(model_dir: str, path: str) -> pd.DataFrame:
    """One file scored on a worker, by the model loaded there (the safe loader: no code runs)."""
    from viewcast.io.registry import kinds_of, load_model

    return _scored(load_model(model_dir, kind=kinds_of("claims")), path)


def _source(data: Table) -> str:
    return "DataFrame" if isinstance(data, pd.DataFrame) else str(data)
