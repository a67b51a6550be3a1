"""The CLI's one error policy: a line on stderr, exit 2 for what the user can fix, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from viewcast.cli.app import flag
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
