"""The one output writer: check the target first, write into a staging folder, swap it in whole.

Every command and every ``Result.save`` writes through here, so that

* a bad target (a path under a regular file, a file where a folder is wanted, a folder that is
  not empty and was not written by viewcast) is refused *before any work* with one clear line;
* a folder appears whole or not at all: files are written into a hidden staging folder beside
  the target, which replaces the target in one step at the end (``renameat2(RENAME_EXCHANGE)``
  where the kernel has it, two renames otherwise). A crash or SIGKILL leaves the previous folder
  untouched and at most a hidden staging folder, which the next write to the same place removes;
* a single output file is written to a hidden temporary sibling and renamed over the target.

A folder written here holds a small marker file (:data:`MARKER`) so that a later run knows it may
replace it; model folders are recognised by their ``metadata.json`` instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from viewcast import termination
from viewcast.errors import OutputError
from viewcast.io.jsonable import dumps

MARKER = ".viewcast-output.json"
MODEL_METADATA = "metadata.json"
_TEMP_TAG = ".viewcast-tmp-"
LEGACY_REPORT_HEADER = b'<p class="muted">viewcast 0.1'


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def default_mode(directory: bool = False) -> int:
    """Permissions a plain ``open``/``mkdir`` would give (temporary files start at 0600/0700)."""
    return (0o777 if directory else 0o666) & ~_umask()


def _blocking_file(path: Path) -> Path | None:
    """The first ancestor of ``path`` (itself excluded) that exists and is not a folder."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def _writable_ancestor(path: Path, param: str | None) -> None:
    existing = next((p for p in [path, *path.parents] if p.exists()), Path("."))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write in {existing} (permission denied)", param=param)


def is_viewcast_folder(path: Path) -> bool:
    """A folder this project wrote: an output folder (marker), a model folder (metadata), or an
    output folder of viewcast 0.1, which had no marker but a report whose header names viewcast."""
    if (path / MARKER).is_file():
        return True
    report = path / "report.html"
    if report.is_file() and not report.is_symlink():
        with contextlib.suppress(OSError), open(report, "rb") as handle:
            if LEGACY_REPORT_HEADER in handle.read(8192):
                return True
    metadata = path / MODEL_METADATA
    if metadata.is_file() and not metadata.is_symlink():
        with contextlib.suppress(OSError, ValueError):
            return json.loads(metadata.read_text()).get("format") == "viewcast-model"
    return False


def check_output_folder(target: str | os.PathLike[str], *, param: str | None = "out") -> Path:
    """Refuse, before any work, a folder target that cannot be written or must not be replaced."""
    path = Path(target)
    if str(target).strip() == "":
        raise OutputError("no output folder given", param=param)
    blocker = _blocking_file(path)
    if blocker is not None:
        raise OutputError(f"{path}: {blocker} is a file, so no folder can be made under it", param=param)
    if path.is_symlink():
        raise OutputError(f"{path}: is a symbolic link; give a real folder", param=param)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: exists and is a file, not a folder", param=param)
    if path.is_dir() and any(path.iterdir()) and not is_viewcast_folder(path):
        raise OutputError(
            f"{path}: folder is not empty and was not written by viewcast; refusing to replace it (choose a new or empty folder)",
            param=param,
        )
    _writable_ancestor(path, param)
    return path


def check_output_file(
    target: str | os.PathLike[str], *, param: str | None = "out", suffixes: tuple[str, ...] | None = None
) -> Path:
    """Refuse, before any work, a file target that cannot be written."""
    path = Path(target)
    if str(target).strip() == "" or path.name in ("", ".", ".."):
        raise OutputError(f"{target!s}: not a file name", param=param)
    blocker = _blocking_file(path)
    if blocker is not None:
        raise OutputError(f"{path}: {blocker} is a file, so nothing can be written under it", param=param)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, expected a file name", param=param)
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise OutputError(f"{path}: must end in {' or '.join(suffixes)}", param=param)
    _writable_ancestor(path.parent, param)
    return path


def _temp_name(target: Path, role: str) -> Path:
    return target.parent / f".{target.name}{_TEMP_TAG}{role}-{os.getpid()}-{secrets.token_hex(4)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(target: Path) -> None:
    """Remove temporary siblings of ``target`` left by runs that were killed (their pid is gone)."""
    prefix = f".{target.name}{_TEMP_TAG}"
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            if not entry.name.startswith(prefix):
                continue
            with contextlib.suppress(ValueError, IndexError):
                pid = int(entry.name[len(prefix) :].split("-")[1])
                if pid == os.getpid() or _pid_alive(pid):
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def _swap_in(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``; the previous ``target`` (if any) is removed afterwards."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous folder
        return
    old = _temp_name(target, "old")
    os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old, ignore_errors=True)


class OutputFolder:
    """The staging folder of one output: write files by name, they appear together at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: list[str] = []

    def file(self, name: str) -> Path:
        """Path for a file that a library writes itself (DuckDB ``COPY``, safetensors)."""
        if Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"output file names are plain names, got {name!r}")
        self.files.append(name)
        return self.path / name

    def bytes(self, name: str, data: bytes) -> Path:
        path = self.file(name)
        path.write_bytes(data)
        return path

    def text(self, name: str, text: str) -> Path:
        return self.bytes(name, text.encode("utf-8"))

    def json(self, name: str, obj: Any) -> Path:
        """Strict JSON (no NaN/Infinity; numpy and dates converted)."""
        return self.text(name, dumps(obj) + "\n")

    def csv(self, name: str, frame: Any, **kwargs: Any) -> Path:
        kwargs.setdefault("index", False)
        path = self.file(name)
        frame.to_csv(path, **kwargs)
        return path

    def parquet(self, name: str, frame: Any, **kwargs: Any) -> Path:
        kwargs.setdefault("index", False)
        path = self.file(name)
        frame.to_parquet(path, **kwargs)
        return path

    def figure(self, name: str, fig: Any, dpi: int = 110) -> Path:
        """Save a matplotlib figure (PNG unless the name says otherwise)."""
        path = self.file(name)
        fig.savefig(path, format=path.suffix.lstrip(".") or "png", dpi=dpi, bbox_inches="tight")
        return path


@contextlib.contextmanager
def output_folder(
    target: str | os.PathLike[str], *, kind: str, param: str | None = "out", marker: bool = True
) -> Iterator[OutputFolder]:
    """Stage a folder of outputs and swap it in at ``target`` when the block ends without error.

    ``kind`` names what the folder holds (``"forecast"``, ``"claims-eda"``...); it goes into the
    marker file. Model folders pass ``marker=False``: their ``metadata.json`` marks them.
    """
    target = check_output_folder(target, param=param)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    staging = _temp_name(target, "staging")
    staging.mkdir()
    try:
        folder = OutputFolder(staging)
        yield folder
        if marker:
            (staging / MARKER).write_text(
                dumps(
                    {
                        "kind": kind,
                        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                        "files": sorted(set(folder.files)),
                    }
                )
                + "\n"
            )
        mode = default_mode()
        for entry in staging.iterdir():
            if entry.is_file():
                os.chmod(entry, mode)
        os.chmod(staging, default_mode(directory=True))
        termination.check()  # a swallowed SIGTERM still stops the folder from appearing
        _swap_in(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def output_file(target: str | os.PathLike[str], *, param: str | None = "out") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; it replaces ``target`` when the block succeeds."""
    target = check_output_file(target, param=param)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    temp = _temp_name(target, "file")
    try:
        yield temp
        os.chmod(temp, default_mode())
        termination.check()
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def write_file(target: str | os.PathLike[str], data: bytes | str, *, param: str | None = "out") -> Path:
    """Write one whole file atomically."""
    with output_file(target, param=param) as temp:
        temp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(target)
