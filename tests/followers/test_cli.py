"""Follower drivers through the command line: outputs, and bad input with exit code 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from viewcast.followers import FollowersConfig, analyse
from viewcast.followers.result import OUTPUTS
from viewcast.io.tables import read_table


@pytest.fixture(scope="module")
def videos_csv(tmp_path_factory):
    from viewcast.cli.app import run

    path = tmp_path_factory.mktemp("videos") / "videos.csv"
    assert run(["data", "synth", "videos", "--rows", "194", "--seed", "0", "--out", str(path)]) == 0
    return path


def test_synth_then_followers_writes_every_output(videos_csv, tmp_path, run_cli):
    frame = pd.read_csv(videos_csv)
    assert frame.shape == (194, 14) and (frame["newFollowers"] == 0).any()
    out = tmp_path / "out"
    code, stdout, err = run_cli("followers", videos_csv, "--out", out, "--robust", "--seed", "3")
    assert code == 0, err
    assert "study 0.746" in stdout and "subject 'data analytics'" in stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    expected = analyse(read_table(videos_csv), FollowersConfig(robust=True, seed=3), source=str(videos_csv))
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["metrics"]["r2"] == pytest.approx(expected.metrics["r2"])
    assert summary["metrics"]["cov_type"] == "HC3" and summary["study"]["test_rmse_log"] == 0.466
    assert summary["cleaning"]["baselines"] == {"category": "Tech", "subject": "programming"}
    table = pd.read_csv(out / "coefficients.csv")
    assert table["term"].iloc[0] == "const" and len(table) == expected.metrics["n_terms"]
    assert {"estimate", "std_error", "t", "p_value", "ci_low", "ci_high", "per_unit", "vif"} <= set(table.columns)
    report = (out / "report.html").read_text()
    assert "0.746" in report and "0.466" in report and report.count("data:image/png;base64,") == 3
    assert "Small sample" in report and "Rare levels dropped" in report
    for name in ("residuals.png", "qq.png", "coefficients.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _write(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("edit", "args", "message"),
    [
        (lambda f: f.drop(columns="newFollowers"), [], "target column 'newFollowers' not found (found: 'date', "),
        (
            lambda f: f.assign(forYouPct=50),
            [],
            "column 'forYouPct' is constant (50 in every row used); leave it out with --ignore forYouPct",
        ),
        (lambda f: f.assign(watchedFullVideo=0), [], "column 'watchedFullVideo' has no values (all blank, or zero = missing)"),
        (
            lambda f: f.assign(views=f["views"].astype(str).where(f.index != 4, "n/a")),
            [],
            "bad.csv, row 6, column 'views': 'n/a' is not a number; leave it out with --ignore views",
        ),
        (
            lambda f: f.head(12),
            ["--ignore", "category", "--ignore", "subject"],
            "the model has 11 terms (constant, predictors and dummies) but the training part has only 10 rows",
        ),
        (lambda f: f, ["--map", "Video views=views"], "--map Video views=views: no column 'Video views'"),
        (lambda f: f, ["--map", "views"], "--map 'views': expected NAME=VALUE"),
        (lambda f: f, ["--missing-zero", "plays=mean"], "--missing-zero column 'plays' not found"),
        (lambda f: f, ["--missing-zero", "views=average"], "invalid option missing_zero.views: Input should be"),
        (lambda f: f, ["--ignore", "newFollowers"], "the target 'newFollowers' cannot be ignored"),
        (lambda f: f.assign(subject=f["subject"].where(f.index != 2, " ")), [], "row 4, column 'subject': level is missing"),
        (lambda f: f.assign(views=f["views"] * 0 + 7, likes=f["views"] * 0 + 7), [], "column 'views' is constant"),
        (lambda f: f, ["--cv-folds", "1"], "invalid option cv_folds"),
        (lambda f: f, ["--missing-zero", "subject=mode"], "--missing-zero subject: not a numeric column of the model"),
        (lambda f: f.assign(growth=-f["views"]), ["--target", "growth"], "column 'growth': negative value"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(videos_csv, tmp_path, run_cli, edit, args, message):
    path = _write(tmp_path, edit(pd.read_csv(videos_csv)))
    out = tmp_path / "out"
    code, stdout, err = run_cli("followers", path, "--out", out, *args)
    assert code == 2
    assert message in " ".join(err.split()), err
    assert not out.exists()  # validation happens before anything is written


def test_perfectly_collinear_columns_are_named(videos_csv, tmp_path, run_cli):
    frame = pd.read_csv(videos_csv)
    path = _write(tmp_path, frame.assign(views_k=frame["views"] / 1000))
    code, _, err = run_cli("followers", path, "--out", tmp_path / "out")
    assert code == 2
    assert "predictors are perfectly collinear in the training part (views, views_k)" in " ".join(err.split())


def test_missing_file_exits_2(tmp_path, run_cli):
    code, _, err = run_cli("followers", tmp_path / "nope.csv", "--out", tmp_path / "out")
    assert code == 2 and "file not found" in err


def test_synth_rejects_too_few_rows(tmp_path, run_cli):
    code, _, err = run_cli("data", "synth", "videos", "--rows", "10", "--out", tmp_path / "v.csv")
    assert code == 2 and "--rows must be at least 30" in err
