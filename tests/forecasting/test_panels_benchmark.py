"""``benchmarks/forecast_panels.py --file``: the issue-8 comparison on a user's own panels."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from viewcast.synth.series import count_panel

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "forecast_panels.py"


def _run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def views_file(tmp_path_factory) -> Path:
    """Four full series of 200 days, one that stops 20 days early and one of its last 50 days only."""
    dates = pd.date_range("2023-01-01", periods=200, freq="D")
    values = list(count_panel(6, 200, seed=7).values())
    parts = [pd.DataFrame({"unique_id": f"full_{i}", "ds": dates, "y": y}) for i, y in enumerate(values[:4])]
    parts.append(pd.DataFrame({"unique_id": "stale", "ds": dates[:180], "y": values[4][:180]}))
    parts.append(pd.DataFrame({"unique_id": "young", "ds": dates[150:], "y": values[5][150:]}))
    path = tmp_path_factory.mktemp("panel") / "views.csv"
    frame = pd.concat(parts)
    frame.assign(ds=frame["ds"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def test_a_views_file_is_scored_beside_the_peers_at_each_cut_off(views_file, tmp_path):
    out = tmp_path / "r.json"
    done = _run("--file", views_file, "--cutoffs", "2023-07-19,2023-06-29", "--days", 120, "--out", out)
    assert done.returncode == 0, done.stderr
    panels = {p["panel"]: p for p in json.loads(out.read_text())["panels"]}
    assert list(panels) == ["views_2023-07-19", "views_2023-06-29"]
    late, early = panels["views_2023-07-19"], panels["views_2023-06-29"]
    # the last day is 2023-07-19: "stale" ended on 06-29 and "young" has 50 days, so four series stay
    assert late["series"] == 4 and late["train_days"] == 120 - 30
    assert early["series"] == 5 and early["train_days"] == 90  # "stale" reaches 06-29; "young" starts 05-31
    assert "left out 1 series ending before 2023-07-19 and 1 with under 56 days" in done.stdout
    for row in panels.values():
        # relative MASE is scored against the weekly seasonal naive, so the peer that is it scores 1
        assert row["SeasonalNaive"]["series"]["rel_mase"] == pytest.approx(1.0)
        assert row["SeasonalNaive"]["total"]["rel_mase"] == pytest.approx(1.0)
        assert 0.0 < row["viewcast"]["series"]["rel_mase"] < 3.0
        assert row["ratio_to_best_peer_total"] == pytest.approx(
            row["viewcast"]["total"]["rel_mase"] / row[row["best_peer_total"]]["total"]["rel_mase"]
        )
    assert "timing_20x760" not in json.loads(out.read_text())  # the timing runs belong to the bundled panels


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cutoffs", "2023-13-01"), "cut-off '2023-13-01' is not a date (YYYY-MM-DD)"),
        (("--cutoffs", "2023-03-01"), "views_2023-03-01: no series reaches 2023-03-01 with 86 days or more to score"),
        (("--fresh",), "--fresh and --panels choose the bundled panels; --file brings your own"),
        (("--days", 60), "--days must be at least 86"),
    ],
)
def test_bad_file_runs_stop_with_one_line_and_no_output(views_file, tmp_path, args, message):
    out = tmp_path / "r.json"
    done = _run("--file", views_file, *args, "--out", out)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"forecast_panels.py: error: {message}"
    assert "Traceback" not in done.stderr and not out.exists()


def test_a_file_viewcast_refuses_is_refused_the_same_way(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("unique_id,ds,y\na,2023-01-01,5\na,2023-01-02,n/a\n")
    done = _run("--file", bad, "--out", tmp_path / "r.json")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "row 3" in done.stderr and "'n/a' is not a number" in done.stderr


def test_held_out_days_a_file_did_not_have_are_not_scored(tmp_path):
    """The loader fills a file's gaps; no method is scored against those values."""
    spec = importlib.util.spec_from_file_location("forecast_panels", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    dates = pd.date_range("2023-01-01", periods=120, freq="D")
    rows = pd.concat([pd.DataFrame({"unique_id": uid, "ds": dates, "y": 100.0 + k}) for k, uid in enumerate("ab")])
    rows = rows[~((rows["unique_id"] == "b") & rows["ds"].isin(dates[[100, 101]]))]  # b lost two held-out days
    path = tmp_path / "gaps.csv"
    rows.assign(ds=rows["ds"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    (frame,) = bench.file_panels([path], [], None).values()
    assert len(frame) == 240 and (~frame[bench.OBSERVED]).sum() == 2  # filled, and marked
    _, test = bench.split(frame)
    actual, total = bench.observed_actuals(test, ["a", "b"])
    assert np.isnan(actual).sum() == 2 and np.isnan(actual[1, 10:12]).all() and np.isfinite(actual[0]).all()
    assert np.isnan(total[0, 10:12]).all() and np.isfinite(np.delete(total[0], [10, 11])).all()
    scored = bench.score(actual[:, :7], actual, actual, actual - 1, actual + 1)
    assert scored["above"] == scored["below"] == 0.0 and scored["provisioning"] == pytest.approx(
        np.nansum(actual + 1) / np.nansum(actual)
    )
