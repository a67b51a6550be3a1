"""Safe model persistence: a directory of safetensors weights plus JSON.

Layout of a saved model directory::

    weights.safetensors   numeric arrays (network weights, scalers, histories)
    config.json           everything else: hyper-parameters, vocabularies, category maps
    metadata.json         format version, model kind, viewcast version, SHA-256 of both files

Loading never executes code: safetensors is a flat tensor format and JSON is data, so a model
directory from an untrusted source can at worst fail to load. Checksums catch truncated or
edited files before any number is used. Saving goes through a temporary sibling directory that is
renamed into place, so an interrupted save never leaves a half-written model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from viewcast._version import __version__
from viewcast.atomic import default_mode
from viewcast.errors import ModelLoadError

FORMAT_NAME = "viewcast-model"
FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"


@dataclass
class SavedModel:
    """What a model directory holds, after its checksums were verified."""

    kind: str
    config: dict[str, Any]
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_model_target(directory: str | os.PathLike[str], option: str = "--save-model") -> Path:
    """Fail before any work if a model cannot be saved at ``directory`` (never clobber other data)."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise ModelLoadError(f"{option} {target}: exists and is a file, not a model directory")
    if target.is_dir() and not (target / METADATA_FILE).exists() and any(target.iterdir()):
        raise ModelLoadError(f"{option} {target}: exists and is not a viewcast model directory; refusing to overwrite it")
    return target


def save_model(
    directory: str | os.PathLike[str],
    kind: str,
    config: Mapping[str, Any],
    tensors: Mapping[str, Any] | None = None,
) -> Path:
    """Write a model directory atomically; ``tensors`` values may be numpy arrays or torch tensors."""
    target = check_model_target(directory, "model directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        arrays = {name: _to_numpy(value) for name, value in (tensors or {}).items()}
        save_file(arrays, str(staging / WEIGHTS_FILE))
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2, default=_jsonable) + "\n")
        metadata = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "kind": kind,
            "viewcast_version": __version__,
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256": {name: file_sha256(staging / name) for name in (WEIGHTS_FILE, CONFIG_FILE)},
        }
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
        os.chmod(staging, default_mode(directory=True))
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def load_model(directory: str | os.PathLike[str], kind: str | None = None) -> SavedModel:
    """Read and verify a model directory; raise :class:`ModelLoadError` with the reason if unusable."""
    root = Path(directory)
    if not root.is_dir():
        raise ModelLoadError(f"{root}: model directory not found")
    try:
        metadata = json.loads((root / METADATA_FILE).read_text())
    except FileNotFoundError:
        raise ModelLoadError(f"{root}: no {METADATA_FILE}; not a viewcast model directory") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{root / METADATA_FILE}: corrupt JSON ({exc})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ModelLoadError(f"{root}: {METADATA_FILE} does not describe a viewcast model")
    if metadata.get("format_version", 0) > FORMAT_VERSION:
        raise ModelLoadError(
            f"{root}: saved with model format {metadata.get('format_version')}, this viewcast "
            f"({__version__}) reads up to {FORMAT_VERSION}; upgrade viewcast"
        )
    if kind is not None and metadata.get("kind") != kind:
        raise ModelLoadError(f"{root}: holds a '{metadata.get('kind')}' model, expected '{kind}'")
    expected = metadata.get("sha256") or {}
    for name in (WEIGHTS_FILE, CONFIG_FILE):
        path = root / name
        if not path.is_file():
            raise ModelLoadError(f"{root}: {name} is missing")
        if expected.get(name) != file_sha256(path):
            raise ModelLoadError(f"{path}: checksum mismatch; the file is corrupt or was modified after saving")
    try:
        config = json.loads((root / CONFIG_FILE).read_text())
        tensors = load_file(str(root / WEIGHTS_FILE))
    except (json.JSONDecodeError, UnicodeDecodeError, SafetensorError, OSError) as exc:
        raise ModelLoadError(f"{root}: cannot read model files ({exc})") from None
    return SavedModel(kind=metadata["kind"], config=config, tensors=dict(tensors), metadata=metadata)


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    array = np.ascontiguousarray(np.asarray(value))
    if array.dtype == object:
        raise TypeError("object arrays cannot be saved safely; store them in the JSON config")
    return array


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
