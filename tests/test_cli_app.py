"""The CLI's one error policy: a line on stderr, exit 2 for what the user can fix, no traceback."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from viewcast import termination
from viewcast.cli.app import flag, run
from viewcast.errors import ConfigError


def test_api_parameters_become_flags():
    assert flag("capacity.headroom") == "--headroom"
    assert flag("save_model") == "--save-model"
    assert flag("data") == "DATA"
    assert flag("missing_zero.views") == "--missing-zero views"
    assert flag("no_such_option") == "--no-such-option"
    assert ConfigError("must be > 0", param="capacity.headroom").render(flag) == "--headroom: must be > 0"
    assert str(ConfigError("must be > 0", param="capacity.headroom")) == "capacity.headroom: must be > 0"


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["forecast", "--bogus"], "No such option: --bogus"),
        (["forecast"], "Missing argument 'data'"),
        (["forecast", "x.csv", "--out", "o", "--horizon", "abc"], "Invalid value for '--horizon'"),
        (["nosuchcommand"], "No such command 'nosuchcommand'"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(run_cli, args, pattern):
    code, out, err = run_cli(*args)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and pattern in lines[0]
    assert "Traceback" not in err


def test_help_and_version_exit_0(run_cli):
    assert run_cli("--version")[0] == 0
    code, out, _ = run_cli("--help")
    assert code == 0 and "forecast" in out


def test_installed_entry_point_gives_the_same_exit_codes():
    done = subprocess.run([sys.executable, "-m", "viewcast", "forecast", "--bogus"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [int(c) for t in tasks.iterdir() for c in (t / "children").read_text().split()] if tasks.exists() else []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to see the worker processes")
def test_sigterm_mid_run_exits_143_with_one_line_and_leaves_nothing(tmp_path):
    """A killed job (a scheduler's SIGTERM) unwinds like Ctrl-C: workers stop, no output folder."""
    data, out = tmp_path / "views.csv", tmp_path / "out"
    viewcast = [sys.executable, "-m", "viewcast"]
    synth = [*viewcast, "data", "synth", "influencers", "--out", str(data), "--creators", "300", "--days", "400"]
    subprocess.run(synth, check=True, capture_output=True)
    run = subprocess.Popen(
        [*viewcast, "forecast", str(data), "--by", "creator", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not _children(run.pid) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the statistical fits have started in worker processes
    workers = _children(run.pid)
    assert workers, "the forecast never started its worker processes"
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 143
    assert stderr == "error: terminated; nothing was written\n"
    assert not out.exists()
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_a_sigterm_whose_exception_was_swallowed_still_writes_nothing(tmp_path, monkeypatch, capsys):
    """Python only prints an exception raised in a ctypes callback or a finaliser; the recorded
    request stops the output at the writer and the run still exits 143."""
    monkeypatch.setattr(termination, "_requested", False)
    with contextlib.suppress(termination.Terminated):  # as a ctypes callback would: it goes nowhere
        termination.on_sigterm(signal.SIGTERM, None)
    assert termination.requested()
    out = tmp_path / "out"
    assert run(["data", "synth", "influencers", "--out", str(out / "views.csv")]) == 143
    assert capsys.readouterr().err.strip() == "error: terminated; nothing was written"
    assert not out.exists() or not any(out.iterdir())


def test_a_swallowed_sigterm_prints_no_exception_ignored_report(monkeypatch, capsys):
    class Finaliser:
        def __del__(self):
            raise termination.Terminated  # where a finaliser or ctypes callback meets the handler

    monkeypatch.setattr(sys, "unraisablehook", termination.quiet_unraisable)
    Finaliser()
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)
    Finaliser()
    assert "Terminated" in capsys.readouterr().err  # the default hook would have reported it
