"""Atomic file output: write to a temporary sibling, then rename over the target.

A crash or a validation error half-way through a run must never leave a truncated CSV or
report behind, so every file the project writes goes through these helpers.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def check_output_dir(target: str | os.PathLike[str], option: str = "--out") -> Path:
    """Fail before any work if ``target`` cannot become an output directory."""
    from viewcast.errors import ViewcastError

    path = Path(target)
    if path.exists() and not path.is_dir():
        raise ViewcastError(f"{option} {path}: exists and is a file, not a directory")
    parent = next((p for p in [path, *path.parents] if p.exists()), Path("."))
    if not os.access(parent, os.W_OK):
        raise ViewcastError(f"{option} {path}: {parent} is not writable")
    return path


def check_output_file(target: str | os.PathLike[str], option: str = "--out") -> Path:
    """Fail before any work if ``target`` cannot become an output file."""
    from viewcast.errors import ViewcastError

    path = Path(target)
    if path.is_dir():
        raise ViewcastError(f"{option} {path}: is a directory, expected a file name")
    check_output_dir(path.parent, option)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def default_mode(directory: bool = False) -> int:
    """Permissions a plain ``open``/``mkdir`` would give: temp files are 0600/0700 otherwise."""
    return (0o777 if directory else 0o666) & ~_umask()


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, default_mode())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    return write_bytes(target, text.encode("utf-8"))


def write_json(target: str | os.PathLike[str], obj: Any) -> Path:
    return write_text(target, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    """Make numpy scalars and arrays JSON-serialisable without importing numpy eagerly."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_csv(target: str | os.PathLike[str], frame: Any, **kwargs: Any) -> Path:
    """Write a pandas DataFrame as CSV atomically (index off unless asked)."""
    kwargs.setdefault("index", False)
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, **kwargs)
    return Path(target)


def write_parquet(target: str | os.PathLike[str], frame: Any, **kwargs: Any) -> Path:
    kwargs.setdefault("index", False)
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, **kwargs)
    return Path(target)


def save_figure(target: str | os.PathLike[str], fig: Any, dpi: int = 110) -> Path:
    """Save a matplotlib figure atomically and close it (figures leak memory otherwise)."""
    import matplotlib.pyplot as plt

    with atomic_path(target) as tmp:
        fig.savefig(tmp, format=Path(target).suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return Path(target)
