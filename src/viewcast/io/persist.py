"""Model folders: safetensors weights, JSON configuration, a checksummed (and signed) manifest.

Layout::

    weights.safetensors   numeric arrays (network weights, scalers, fitted parameters)
    config.json           everything else: hyper-parameters, vocabularies, category maps
    metadata.json         manifest: format version, kind, viewcast version, creation time,
                          training metrics, SHA-256 of both files, and an HMAC-SHA256 signature
                          of all that when ``VIEWCAST_MODEL_KEY`` is set

Loading never executes code: safetensors is a flat tensor format, JSON is data, and every model
kind rebuilds itself from those through its own ``from_state``, which checks shapes, counts and
values. Checksums catch truncated or edited files; only the signature catches a folder whose
files were edited *and* whose checksums were recomputed, so with ``VIEWCAST_MODEL_KEY`` set an
unsigned or wrongly signed folder is refused. Symbolic links anywhere in the folder are refused,
so nothing outside it is ever read. Saving goes through :func:`viewcast.io.outputs.output_folder`:
a model folder appears whole or not at all.

Format versions: 1 (viewcast 0.1: no signature, no metrics) and 2 (this one) share the layout, so
one reader serves both; tests load fixtures of every version.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from viewcast._version import __version__
from viewcast.errors import ModelLoadError
from viewcast.io.jsonable import dumps, to_jsonable
from viewcast.io.outputs import check_output_folder, output_folder

FORMAT_NAME = "viewcast-model"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
MODEL_FILES = (WEIGHTS_FILE, CONFIG_FILE)
KEY_VARIABLE = "VIEWCAST_MODEL_KEY"
MAX_CONFIG_BYTES = 256 * 1024 * 1024


@dataclass
class SavedModel:
    """What a model folder holds, after its checksums (and signature) were verified."""

    kind: str
    config: dict[str, Any]
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_key() -> bytes | None:
    """The signing key from ``VIEWCAST_MODEL_KEY`` (None when unset or empty)."""
    value = os.environ.get(KEY_VARIABLE, "")
    return value.encode("utf-8") if value else None


def _signature(manifest: Mapping[str, Any], key: bytes) -> str:
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def check_model_target(directory: str | os.PathLike[str], *, param: str | None = "save_model") -> Path:
    """Refuse, before any work, a place where a model folder cannot or must not be written."""
    return check_output_folder(directory, param=param)


def save_model(
    directory: str | os.PathLike[str],
    kind: str,
    config: Mapping[str, Any],
    tensors: Mapping[str, Any] | None = None,
    *,
    metrics: Mapping[str, Any] | None = None,
    param: str | None = "save_model",
) -> Path:
    """Write a model folder whole; ``tensors`` values may be numpy arrays or torch tensors."""
    arrays = {name: _to_numpy(value) for name, value in (tensors or {}).items()}
    with output_folder(directory, kind=kind, param=param, marker=False) as out:
        save_file(arrays, str(out.file(WEIGHTS_FILE)))
        out.text(CONFIG_FILE, dumps(config) + "\n")
        manifest: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "kind": kind,
            "viewcast_version": __version__,
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "metrics": to_jsonable(dict(metrics or {})),
            "sha256": {name: file_sha256(out.path / name) for name in MODEL_FILES},
        }
        key = model_key()
        if key is not None:
            manifest["signature"] = {"algorithm": "hmac-sha256", "value": _signature(manifest, key)}
        out.text(METADATA_FILE, dumps(manifest) + "\n")
    return Path(directory)


def _regular_file(root: Path, name: str) -> Path:
    path = root / name
    if path.is_symlink():
        raise ModelLoadError(f"{path}: is a symbolic link; model folders must hold their own files")
    if not path.is_file():
        raise ModelLoadError(f"{root}: {name} is missing" if not path.exists() else f"{path}: is not a regular file")
    return path


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The verified manifest of a model folder (format, kind, checksums, signature)."""
    root = Path(directory)
    if root.is_symlink():
        raise ModelLoadError(f"{root}: is a symbolic link; give the model folder itself")
    if not root.is_dir():
        raise ModelLoadError(f"{root}: model folder not found" if not root.exists() else f"{root}: is a file, not a model folder")
    links = [entry.name for entry in root.iterdir() if entry.is_symlink()]
    if links:
        raise ModelLoadError(f"{root}: holds symbolic links ({', '.join(sorted(links)[:3])}); refusing to follow them")
    if not (root / METADATA_FILE).exists():
        raise ModelLoadError(f"{root}: no {METADATA_FILE}; not a viewcast model folder")
    manifest = _read_json(_regular_file(root, METADATA_FILE))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ModelLoadError(f"{root}: {METADATA_FILE} does not describe a viewcast model")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version not in READABLE_VERSIONS:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise ModelLoadError(
            f"{root}: model format {version!r} "
            + (f"is newer than this viewcast ({__version__}) reads; upgrade viewcast" if newer else "is not one viewcast knows")
        )
    if not isinstance(manifest.get("kind"), str):
        raise ModelLoadError(f"{root}: {METADATA_FILE} names no model kind")
    expected = manifest.get("sha256")
    if not isinstance(expected, dict):
        raise ModelLoadError(f"{root}: {METADATA_FILE} has no checksums")
    for name in MODEL_FILES:
        path = _regular_file(root, name)
        if expected.get(name) != file_sha256(path):
            raise ModelLoadError(f"{path}: checksum mismatch; the file is corrupt or was modified after saving")
    _verify_signature(root, manifest)
    return manifest


def _verify_signature(root: Path, manifest: dict[str, Any]) -> None:
    key = model_key()
    if key is None:
        return
    signature = manifest.get("signature")
    if not isinstance(signature, dict) or "value" not in signature:
        raise ModelLoadError(f"{root}: model folder is not signed, and {KEY_VARIABLE} is set: only signed models load")
    if signature.get("algorithm") != "hmac-sha256" or not isinstance(signature["value"], str):
        raise ModelLoadError(f"{root}: unknown signature algorithm {signature.get('algorithm')!r}")
    if not hmac.compare_digest(signature["value"], _signature(manifest, key)):
        raise ModelLoadError(f"{root}: signature does not match (signed with another key, or edited after signing)")


def load_saved(directory: str | os.PathLike[str], kind: str | None = None) -> SavedModel:
    """Read and verify a model folder; raise :class:`ModelLoadError` naming the reason."""
    root = Path(directory)
    manifest = read_manifest(root)
    if kind is not None and manifest["kind"] != kind:
        raise ModelLoadError(f"{root}: holds a '{manifest['kind']}' model, expected '{kind}'")
    config = _read_json(root / CONFIG_FILE)
    if not isinstance(config, dict):
        raise ModelLoadError(f"{root / CONFIG_FILE}: expected a JSON object")
    try:
        tensors = load_file(str(root / WEIGHTS_FILE))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelLoadError(f"{root / WEIGHTS_FILE}: cannot be read ({exc})") from None
    return SavedModel(kind=manifest["kind"], config=config, tensors=dict(tensors), metadata=manifest, path=root)


def _read_json(path: Path) -> Any:
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ModelLoadError(f"{path}: larger than {MAX_CONFIG_BYTES >> 20} MB; not a viewcast model file")
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ModelLoadError(f"{path}: corrupt JSON ({detail})") from None


def _to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    array = np.ascontiguousarray(np.asarray(value))
    if array.dtype == object:
        raise TypeError("object arrays cannot be saved safely; store them in the JSON config")
    return array


def require(condition: bool, message: str) -> None:
    """Refuse a loaded state that does not fit (used by every model kind's ``from_state``)."""
    if not condition:
        raise ModelLoadError(f"model state does not fit: {message}")


def require_finite(tensors: Mapping[str, np.ndarray], names: Any = None) -> None:
    """Refuse non-finite floating-point values in the named arrays (all floating arrays by default)."""
    for name in names if names is not None else tensors:
        array = tensors.get(name)
        require(array is not None, f"array {name!r} is missing")
        if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
            raise ModelLoadError(f"model state does not fit: array {name!r} holds NaN or infinite values")


def require_shape(tensors: Mapping[str, np.ndarray], name: str, shape: tuple[int | None, ...]) -> np.ndarray:
    """The named array, refused unless its shape matches (``None`` matches any length)."""
    array = tensors.get(name)
    require(array is not None, f"array {name!r} is missing")
    ok = array.ndim == len(shape) and all(want is None or want == got for want, got in zip(shape, array.shape))
    require(ok, f"array {name!r} has shape {tuple(array.shape)}, expected {tuple('*' if s is None else s for s in shape)}")
    return array
