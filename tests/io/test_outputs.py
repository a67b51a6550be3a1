"""The one output writer: targets are checked first, folders appear whole or not at all."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from viewcast import termination
from viewcast.errors import OutputError
from viewcast.io.jsonable import dumps, to_jsonable
from viewcast.io.outputs import MARKER, check_output_file, check_output_folder, output_file, output_folder


def test_folder_appears_whole_with_marker_and_normal_permissions(tmp_path):
    target = tmp_path / "run"
    with output_folder(target, kind="unit") as out:
        out.text("a.txt", "one")
        out.json("m.json", {"x": 1})
        assert not target.exists()  # nothing visible until the block ends
    assert sorted(p.name for p in target.iterdir()) == sorted([MARKER, "a.txt", "m.json"])
    marker = json.loads((target / MARKER).read_text())
    assert marker["kind"] == "unit" and marker["files"] == ["a.txt", "m.json"]
    assert oct((target / "a.txt").stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staging left beside it


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_rewrite_replaces_the_whole_folder(tmp_path):
    target = tmp_path / "run"
    with output_folder(target, kind="unit") as out:
        out.text("old.txt", "old")
        out.text("report.html", "Next 7 days")
    with output_folder(target, kind="unit") as out:
        out.text("report.html", "Next 30 days")
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "report.html"]
    assert (target / "report.html").read_text() == "Next 30 days"


def test_failure_midway_keeps_the_previous_folder_untouched(tmp_path):
    target = tmp_path / "run"
    with output_folder(target, kind="unit") as out:
        out.text("report.html", "previous")
    with pytest.raises(RuntimeError), output_folder(target, kind="unit") as out:
        out.text("forecast.csv", "new")
        raise RuntimeError("model failed")
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "report.html"]
    assert (target / "report.html").read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_sigkill_midway_leaves_no_partial_folder_and_the_next_run_cleans_up(tmp_path):
    target = tmp_path / "run"
    script = textwrap.dedent(
        f"""
        import os, signal
        from viewcast.io.outputs import output_folder
        with output_folder({str(target)!r}, kind="unit") as out:
            out.text("forecast.csv", "half")
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == -9
    assert not target.exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(".run.viewcast-tmp-staging-")
    with output_folder(target, kind="unit") as out:
        out.text("forecast.csv", "whole")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda d: (d / "afile").write_text("x") and d / "afile" / "sub", "afile is a file, so no folder can be made under it"),
        (lambda d: (d / "afile").write_text("x") and d / "afile", "exists and is a file, not a folder"),
        (
            lambda d: (d / "mine").mkdir() or (d / "mine" / "notes.txt").write_text("keep") and d / "mine",
            "not written by viewcast",
        ),
    ],
)
def test_bad_folder_targets_are_refused_before_any_work(tmp_path, make, pattern):
    target = make(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(OutputError, match=pattern) as info, output_folder(target, kind="unit", param="out"):
        raise AssertionError("the block must not run")
    assert info.value.param == "out"
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_empty_existing_folder_is_fine_and_symlinked_target_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    assert check_output_folder(tmp_path / "empty") == tmp_path / "empty"
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OutputError, match="symbolic link"):
        check_output_folder(tmp_path / "link")


def test_unwritable_parent_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(OutputError, match="permission denied"):
        check_output_folder(locked / "run")


def test_single_file_is_atomic_and_checked(tmp_path):
    target = tmp_path / "data.csv"
    with output_file(target) as temp:
        temp.write_text("a,b\n")
        assert not target.exists()
    assert target.read_text() == "a,b\n"
    with pytest.raises(RuntimeError), output_file(target) as temp:
        temp.write_text("half")
        raise RuntimeError
    assert target.read_text() == "a,b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="afile is a file"):
        check_output_file(tmp_path / "afile" / "x.csv")
    with pytest.raises(OutputError, match="is a folder"):
        check_output_file(tmp_path)
    with pytest.raises(OutputError, match=r"must end in \.csv or \.jsonl"):
        check_output_file(tmp_path / "x.txt", suffixes=(".csv", ".jsonl"))


def test_strict_json_never_writes_nan_or_infinity():
    data = {"a": math.nan, "b": [np.float64("inf"), np.int64(3)], "c": np.array([1.5, np.nan]), "d": (1, 2)}
    assert to_jsonable(data) == {"a": None, "b": [None, 3], "c": [1.5, None], "d": [1, 2]}
    text = dumps(data)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["c"] == [1.5, None]
    with pytest.raises(TypeError):
        to_jsonable(object())


def test_an_output_folder_of_viewcast_0_1_may_be_replaced(tmp_path):
    legacy = tmp_path / "demo"
    legacy.mkdir()
    (legacy / "report.html").write_text('<h1>x</h1>\n<p class="muted">viewcast 0.1.0 · generated 2026-11-23</p>')
    (legacy / "forecast.csv").write_text("old")
    with output_folder(legacy, kind="unit") as out:
        out.text("forecast.csv", "new")
    assert sorted(p.name for p in legacy.iterdir()) == [MARKER, "forecast.csv"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "report.html").write_text("<p>somebody else's report</p>")
    with pytest.raises(OutputError, match="not written by viewcast"):
        check_output_folder(other)


def test_nothing_appears_once_sigterm_was_requested(tmp_path, monkeypatch):
    monkeypatch.setattr(termination, "_requested", True)  # the handler ran; its exception was lost
    with pytest.raises(termination.Terminated), output_folder(tmp_path / "folder", kind="test") as folder:
        folder.text("a.txt", "a")
    with pytest.raises(termination.Terminated), output_file(tmp_path / "file.txt") as temp:
        temp.write_text("b")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no target, no staging left behind
