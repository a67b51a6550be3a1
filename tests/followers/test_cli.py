"""Follower drivers through the command line: every output of a fit, and predict from the saved model.

Bad command lines are in test_bad_input.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import viewcast
from viewcast.followers import FollowersConfig, run
from viewcast.followers.result import OUTPUTS
from viewcast.io.outputs import MARKER

PLANNED = {
    "length": 30, "views": 3000, "likes": 180, "comments": 6, "shares": 9, "saves": 12,
    "avgWatchTime": 12.5, "forYouPct": 80, "category": "Tech", "subject": "data analytics",
}  # fmt: skip


@pytest.fixture(scope="module")
def videos_csv(tmp_path_factory):
    from viewcast.cli.app import run as cli

    path = tmp_path_factory.mktemp("videos") / "videos.csv"
    assert cli(["data", "synth", "videos", "--rows", "194", "--seed", "0", "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def fitted(videos_csv, tmp_path_factory):
    """``viewcast followers videos.csv --out OUT --save-model MODEL --seed 3``, run once."""
    from viewcast.cli.app import run as cli

    root = tmp_path_factory.mktemp("fit")
    code = cli(["followers", str(videos_csv), "--out", str(root / "out"), "--save-model", str(root / "model"), "--seed", "3"])
    assert code == 0
    return root / "out", root / "model"


def test_synthetic_videos_have_the_study_schema(videos_csv):
    frame = pd.read_csv(videos_csv)
    assert frame.shape == (194, 14) and (frame["newFollowers"] == 0).any()
    assert list(frame.columns[:3]) == ["date", "length", "views"]


def test_fit_writes_every_output(fitted, videos_csv):
    out, _ = fitted
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, MARKER])
    expected = run(videos_csv, FollowersConfig(seed=3))
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["metrics"]["r2"] == pytest.approx(expected.metrics["r2"])
    assert summary["metrics"]["scale"] == "log" and summary["scale"]["cv"]["raw"]["cv_rmse_log_mean"] > 0
    assert summary["aliases"][0]["term"] == "totalPlayTime" and summary["study"]["test_rmse_log"] == 0.466
    assert summary["cleaning"]["baselines"] == {"category": "Tech", "subject": "programming"}
    table = pd.read_csv(out / "coefficients.csv")
    assert table["term"].iloc[0] == "const" and len(table) == expected.metrics["n_terms"]
    assert {"estimate", "p_value", "p_adjusted", "driver", "per_unit", "transform", "vif"} <= set(table.columns)
    what_if = pd.read_csv(out / "what_if.csv")
    assert list(what_if.columns) == ["length", "category", "subject", "expected_new_followers", "lo95", "hi95"]
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == 3 and "Planning the next video" in report
    assert "Aliased: totalPlayTime" in report and "Breusch-Pagan" in report and "elasticity" in report
    for name in ("residuals.png", "qq.png", "coefficients.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fit_prints_drivers_and_the_alias(videos_csv, tmp_path, run_cli):
    code, stdout, err = run_cli("followers", "fit", videos_csv, "--out", tmp_path / "out", "--cv-folds", "3")
    assert code == 0, err
    text = " ".join(stdout.split())
    assert "+ views: 10% more goes with" in text and "− length:" in text and "note: Aliased: totalPlayTime" in text
    assert f"outputs in {tmp_path / 'out'}/" in text


def test_predict_json_answers_from_the_saved_model(fitted, run_cli):
    _, model = fitted
    code, stdout, err = run_cli("followers", "predict", model, "--json", json.dumps(PLANNED))
    assert code == 0, err
    answer = json.loads(stdout)
    direct = viewcast.load_model(model).predict(PLANNED)
    assert answer.pop("outside_training_range") == direct.pop("outside_training_range") == []
    assert answer == pytest.approx(direct)
    assert answer["lo95"] < answer["expected_new_followers"] < answer["hi95"]
    code, stdout, _ = run_cli("followers", "predict", model, "--json", json.dumps([PLANNED, {**PLANNED, "length": 90}]))
    two = json.loads(stdout)
    assert code == 0 and len(two) == 2 and two[1]["expected_new_followers"] < two[0]["expected_new_followers"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_predict_a_table_of_planned_videos(fitted, tmp_path, run_cli, suffix):
    _, model = fitted
    pd.DataFrame([PLANNED, {**PLANNED, "subject": "cloud", "views": 50_000_000}]).to_csv(tmp_path / "planned.csv", index=False)
    output = tmp_path / f"answers{suffix}"
    code, stdout, err = run_cli("followers", "predict", model, "--input", tmp_path / "planned.csv", "--output", output)
    assert code == 0, err
    assert f"2 planned videos answered -> {output}" in stdout
    answers = pd.read_csv(output) if suffix == ".csv" else pd.read_json(output, lines=True)
    assert list(answers.columns[:2]) == ["length", "views"]
    assert answers["expected_new_followers"].iloc[0] == pytest.approx(
        viewcast.load_model(model).predict(PLANNED)["expected_new_followers"]
    )
    assert answers["outside_training_range"].fillna("").tolist() == ["", "views"]


def test_synth_options_write_their_truths(tmp_path, run_cli):
    assert run_cli("data", "synth", "videos", "--out", tmp_path / "copy.csv", "--rows", "40", "--play-time", "copy")[0] == 0
    copy = pd.read_csv(tmp_path / "copy.csv")
    assert (copy["totalPlayTime"] == 30 * copy["views"]).all() and len(copy) == 40
    assert run_cli("data", "synth", "videos", "--out", tmp_path / "study.csv", "--effects", "study", "--seed", "2")[0] == 0
    from viewcast.synth.videos import generate_videos

    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "study.csv"), pd.read_csv(_written(generate_videos(194, 2, "study"), tmp_path))
    )


def _written(synth, tmp_path):
    path = tmp_path / "expected.csv"
    synth.frame.to_csv(path, index=False)
    return path


def test_help_states_the_config_defaults():
    import inspect
    import re

    from viewcast.cli.followers import fit_command
    from viewcast.followers.config import DEFAULT_MISSING_ZERO

    defaults = {**FollowersConfig().model_dump(), "missing_zero": DEFAULT_MISSING_ZERO}  # the rules applied by default
    stated = {}
    for name, parameter in inspect.signature(fit_command).parameters.items():
        found = re.search(r"\(default ([^)]+)\)", parameter.default.help or "")
        if found and name in defaults:
            stated[name] = found.group(1)
    assert len(stated) >= 15
    for name, text in stated.items():
        value = defaults[name]
        if isinstance(value, bool):
            assert text == ("on" if value else "off"), name
        elif isinstance(value, (int, float)):
            assert float(text) == value, name
        elif isinstance(value, str):
            assert text == value, name
        elif isinstance(value, list):
            assert [v.strip() for v in text.split(",")] == value, name
        else:
            assert text.replace(" ", "") == ",".join(f"{k}={v}" for k, v in value.items()), name
