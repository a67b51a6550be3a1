"""Shared fixtures: the real-data folder (skip without it) and an in-process CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("VIEWCAST_PROGRESS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """``$VIEWCAST_DATA_DIR`` (CI sets it to ../shared/data); tests using it skip without it."""
    value = os.environ.get("VIEWCAST_DATA_DIR")
    if not value:
        pytest.skip("VIEWCAST_DATA_DIR is not set: real data sets are not available here")
    path = Path(value)
    if not path.is_dir():
        pytest.skip(f"VIEWCAST_DATA_DIR={value} does not exist")
    return path


@pytest.fixture
def run_cli(capsys):
    """Run ``viewcast ARGS...`` in-process; return (exit_code, stdout, stderr)."""
    from viewcast.cli.app import run

    def _run(*args: str) -> tuple[int, str, str]:
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@pytest.fixture
def refused(run_cli, tmp_path):
    """Run a bad command line; assert exit 2, one ``error:`` line, no traceback, nothing written.

    ``refused(*args, match="regex")`` returns the error line. Everything under ``tmp_path`` must
    be byte-for-byte as before (no new, changed, partial or temporary files).
    """
    import re

    def _refused(*args: str, match: str | None = None) -> str:
        before = _snapshot(tmp_path)
        code, out, err = run_cli(*args)
        lines = err.strip().splitlines()
        assert code == 2, f"exit {code}, stderr: {err!r}"
        assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("error: "), err
        assert _snapshot(tmp_path) == before, "the command wrote or changed files"
        if match is not None:
            assert re.search(match, lines[0]), f"{lines[0]!r} does not match {match!r}"
        return lines[0]

    return _refused
