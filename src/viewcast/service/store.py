"""The models a service answers with: every model folder under one directory, loaded at start-up.

Each subfolder is one model, named after the folder. All are loaded and checked (checksums, the
signature when ``VIEWCAST_MODEL_KEY`` is set, each kind's state checks) before the service takes a
request; a folder that fails stops start-up with one line naming it. Hidden entries and plain
files are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viewcast.errors import ModelLoadError, NotFoundError
from viewcast.io.registry import ANALYSIS_OF_KIND, load_model

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class ServedModel:
    name: str
    kind: str
    analysis: str
    model: Any

    def listing(self) -> dict[str, Any]:
        """What ``GET /v1/models`` says about this model."""
        manifest = getattr(self.model, "manifest_", {}) or {}
        return {
            "name": self.name,
            "kind": self.kind,
            "analysis": self.analysis,
            "viewcast_version": manifest.get("viewcast_version"),
            "format_version": manifest.get("format_version"),
            "created": manifest.get("created_utc"),
            "sha256": manifest.get("sha256", {}),
            "signed": "signature" in manifest,
            "metrics": manifest.get("metrics") or {},
            "details": self.model.describe(),
        }


class ModelStore:
    """Name -> loaded model, with lookups that answer 404 for unknown names."""

    def __init__(self, models: dict[str, ServedModel]) -> None:
        self.models = models

    @classmethod
    def load(cls, directory: str | Path) -> ModelStore:
        root = Path(directory)
        if not root.is_dir():
            raise ModelLoadError(f"{root}: models folder not found" if not root.exists() else f"{root}: is a file, not a folder")
        folders = {}
        for folder in sorted(root.iterdir()):
            if folder.name.startswith(".") or (folder.is_file() and not folder.is_symlink()):
                continue
            if not NAME.match(folder.name):
                raise ModelLoadError(f"{folder}: model folder names use letters, digits, '.', '_' and '-' only")
            folders[folder.name] = folder
        return cls.from_folders(folders)

    @classmethod
    def from_folders(cls, folders: dict[str, Path]) -> ModelStore:
        """Name -> model folder, each loaded and checked (tests serve fixtures in place this way)."""
        models: dict[str, ServedModel] = {}
        for name, folder in folders.items():
            model = load_model(folder)
            models[name] = ServedModel(name, model.KIND, ANALYSIS_OF_KIND[model.KIND], model)
        return cls(models)

    def get(self, analysis: str, name: str) -> Any:
        served = self.models.get(name)
        if served is None or served.analysis != analysis:
            known = sorted(n for n, m in self.models.items() if m.analysis == analysis)
            raise NotFoundError(f"no {analysis} model named {name!r} (this service has: {', '.join(known) or 'none'})")
        return served.model

    def of(self, analysis: str) -> list[ServedModel]:
        return [m for m in self.models.values() if m.analysis == analysis]
