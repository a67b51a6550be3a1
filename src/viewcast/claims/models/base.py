"""What every claims model kind shares: predicting from raw records, saving, describing, checking state.

A kind implements ``predict_proba(frame)`` (P(opinion) per row of a canonical frame, see
:mod:`viewcast.claims.data`), ``to_state``/``from_state`` and ``settings()``; this base turns that
into the :class:`viewcast.contracts.Model` contract. ``predict`` validates its request first,
so a model never scores a NaN, a negative count or a 400-digit number, and answers in the
request's shape: one dict for one record, a list of dicts for a list, a DataFrame for a DataFrame.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from viewcast.claims.data import CLASSES, POSITIVE, request_frame
from viewcast.errors import ModelLoadError
from viewcast.io import registry

S = TypeVar("S", bound=BaseModel)


def label_table(p_opinion: np.ndarray, index: pd.Index | None = None) -> pd.DataFrame:
    """``label``, ``probability`` (of that label) and ``p_opinion`` for each row."""
    is_opinion = p_opinion >= 0.5
    return pd.DataFrame(
        {
            "label": np.asarray(CLASSES, dtype=object)[is_opinion.astype(int)],
            "probability": np.where(is_opinion, p_opinion, 1.0 - p_opinion),
            "p_opinion": p_opinion,
        },
        index=index,
    )


def saved_settings(schema: type[S], config: dict[str, Any]) -> S:
    """A saved ``config.json`` validated by the kind's pydantic schema, or :class:`ModelLoadError`."""
    try:
        return schema.model_validate(config)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "config"
        message = "unknown entry" if first["type"] == "extra_forbidden" else first["msg"]
        raise ModelLoadError(f"model state does not fit: config entry {where!r}: {message}") from None


class ClaimsModel:
    """Base of the claims model kinds (linear, reference network, sentence encoder)."""

    KIND: ClassVar[str]
    name: str
    #: How the model was trained (rows, split sizes, validation and CV metrics); saved as the
    #: folder's metrics. Set by :func:`viewcast.claims.pipeline.run`.
    training: dict[str, Any]

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(opinion) for each row of a canonical, already validated frame."""
        raise NotImplementedError

    def predict(self, request: Any) -> dict[str, Any] | list[dict[str, Any]] | pd.DataFrame:
        """Label raw videos: one record (a dict) -> a dict, a list of records -> a list, a DataFrame -> a DataFrame.

        Each answer holds ``label`` (claim or opinion), ``probability`` (of that label) and
        ``p_opinion``. Records follow :class:`viewcast.claims.data.VideoRecord`; a bad one raises
        :class:`~viewcast.errors.DataValidationError` naming the record and field.
        """
        frame, shape = request_frame(request)
        p = self.predict_proba(frame)
        if shape == "frame":
            return label_table(p, index=request.index)
        labels = np.asarray(CLASSES, dtype=object)[(p >= 0.5).astype(int)]
        answers = [
            {"label": label, "probability": float(q if label == POSITIVE else 1.0 - q), "p_opinion": float(q)}
            for label, q in zip(labels.tolist(), p.tolist())
        ]
        return answers[0] if shape == "record" else answers

    def training_summary(self) -> dict[str, Any]:
        """How the model was trained: the folder's metrics when loaded, else what training recorded."""
        metrics = getattr(self, "manifest_", {}).get("metrics")
        return dict(metrics) if metrics else dict(getattr(self, "training", {}) or {})

    def settings(self) -> dict[str, Any]:
        """The kind's hyper-parameters (for ``describe``)."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Kind, name, settings and training summary (the service lists models with this)."""
        return {"kind": self.KIND, "name": self.name, "settings": self.settings(), "training": self.training_summary()}

    def save(self, directory: str | os.PathLike[str], *, param: str | None = "out") -> Path:
        """Write the model folder (safetensors + JSON + manifest with the training summary), whole."""
        return registry.save(self, directory, metrics=self.training_summary(), param=param)
