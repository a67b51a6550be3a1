"""Predictions from a saved model on raw input: one JSON video, or a CSV/JSONL batch."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from viewcast.atomic import write_csv, write_text
from viewcast.claims.schema import CLASSES, POSITIVE, load_claims, record_to_frame
from viewcast.errors import DataValidationError

OUTPUT_SUFFIXES = (".csv", ".jsonl")


def label_rows(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """``label``, ``probability`` (of that label) and ``p_opinion`` for each row."""
    p = model.predict_proba(frame)
    labels = np.asarray(CLASSES, dtype=object)[(p >= 0.5).astype(int)]
    return pd.DataFrame({"label": labels, "probability": np.where(labels == POSITIVE, p, 1 - p), "p_opinion": p})


def predict_record(model: Any, record: Any, source: str = "--json") -> dict[str, Any]:
    """Validate one video (a mapping of raw fields) and return its label and probabilities."""
    p = float(model.predict_proba(record_to_frame(record, source))[0])
    label = POSITIVE if p >= 0.5 else CLASSES[0]
    return {"label": label, "probability": p if label == POSITIVE else 1.0 - p, "p_opinion": p}


def predict_json(model: Any, text: str) -> dict[str, Any]:
    """Parse and validate one ``--json`` record and return its prediction."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataValidationError(f"--json: not valid JSON ({exc})") from None
    return predict_record(model, record)


def predict_file(model: Any, input_path: str | os.PathLike[str], output_path: str | os.PathLike[str]) -> pd.DataFrame:
    """Score a CSV/JSONL/Parquet batch; write the input columns plus the predictions."""
    output = Path(output_path)
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise DataValidationError(f"{output}: output must end in {' or '.join(OUTPUT_SUFFIXES)}")
    frame = load_claims(input_path, with_label=False)
    result = pd.concat([_whole_numbers_as_int(frame), label_rows(model, frame)], axis=1)
    if output.suffix.lower() == ".csv":
        write_csv(output, result)
    else:
        write_text(output, result.to_json(orient="records", lines=True))
    return result


def _whole_numbers_as_int(frame: pd.DataFrame) -> pd.DataFrame:
    """Write counts and ids back as integers (they were parsed as floats) when they are whole."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all() and values.abs().max() < 2**53:
            out[column] = values.astype("Int64")
    return out
