"""One registry of model kinds: ``kind -> class``, and ``load_model(dir)`` for any of them.

The CLI, the notebook API (``viewcast.load_model``) and the service all load models here, so a
new kind is usable everywhere once it is listed in :data:`KINDS`. Classes are named by import
path and imported on first use: shared code never imports an analysis at import time, and
``import viewcast`` stays fast.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from viewcast.contracts import Model
from viewcast.errors import ModelLoadError
from viewcast.io.persist import SavedModel, load_saved, save_model

#: Every model kind a folder's ``metadata.json`` may name, and the class that loads it.
KINDS: dict[str, str] = {
    "forecast": "viewcast.forecasting.model:ForecastModel",
    "followers": "viewcast.followers.model:FollowersModel",
    "claims-linear": "viewcast.claims.models.linear:LinearClaimsModel",
    "claims-reference": "viewcast.claims.models.reference:ReferenceClaimsModel",
    "claims-encoder": "viewcast.claims.models.encoder:EncoderClaimsModel",
    "popularity": "viewcast.popularity.model:PopularityModel",
}

#: Which analysis each kind belongs to (the service routes by it).
ANALYSIS_OF_KIND: dict[str, str] = {
    "forecast": "forecast",
    "followers": "followers",
    "claims-linear": "claims",
    "claims-reference": "claims",
    "claims-encoder": "claims",
    "popularity": "popularity",
}


def model_class(kind: str) -> type:
    """The class registered for ``kind``."""
    if kind not in KINDS:
        raise ModelLoadError(f"unknown model kind {kind!r}; this viewcast knows {', '.join(sorted(KINDS))}")
    module_name, _, class_name = KINDS[kind].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def from_saved(saved: SavedModel) -> Any:
    """Rebuild a model from a verified folder's content; any mismatch is a :class:`ModelLoadError`."""
    cls = model_class(saved.kind)
    try:
        model = cls.from_state(saved.config, saved.tensors)
    except ModelLoadError as exc:
        raise ModelLoadError(f"{saved.path}: {exc.message}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError, OverflowError) as exc:
        detail = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc).splitlines()[0][:200]
        raise ModelLoadError(f"{saved.path}: model state is incomplete or invalid ({type(exc).__name__}: {detail})") from None
    model.manifest_ = saved.metadata
    model.path_ = saved.path
    return model


def load_model(directory: str | os.PathLike[str], kind: str | tuple[str, ...] | None = None) -> Any:
    """Load any saved model (or only the given kind(s)); never runs code from the folder."""
    saved = load_saved(directory)
    allowed = (kind,) if isinstance(kind, str) else kind
    if allowed is not None and saved.kind not in allowed:
        raise ModelLoadError(f"{directory}: holds a '{saved.kind}' model, expected {' or '.join(repr(k) for k in allowed)}")
    return from_saved(saved)


def kinds_of(analysis: str) -> tuple[str, ...]:
    """The model kinds that belong to one analysis (``"claims"`` -> three kinds)."""
    return tuple(kind for kind, owner in ANALYSIS_OF_KIND.items() if owner == analysis)


def save(
    model: Model, directory: str | os.PathLike[str], *, metrics: Mapping[str, Any] | None = None, param: str | None = "out"
) -> Path:
    """Save any registered model kind (its ``KIND`` must be listed in :data:`KINDS`)."""
    if model.KIND not in KINDS:
        raise ValueError(f"model kind {model.KIND!r} is not registered in viewcast.io.registry.KINDS")
    config, tensors = model.to_state()
    return save_model(directory, model.KIND, config, tensors, metrics=metrics, param=param)
