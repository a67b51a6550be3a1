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
