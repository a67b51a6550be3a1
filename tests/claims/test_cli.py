"""Claims commands end to end on synthetic data, and on the study's table where it is available."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from viewcast.synth.claims import write_claims

VIDEO = {
    "video_transcription_text": "according to a study published last year coffee drinkers live longer",
    "verified_status": "not verified",
    "author_ban_status": "active",
    "video_view_count": 150,
    "video_like_count": 4,
    "video_share_count": 0,
    "video_download_count": 0,
    "video_comment_count": 0,
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A synthetic table and a default model trained on it through the CLI."""
    from viewcast.cli.app import run

    root = tmp_path_factory.mktemp("claims")
    write_claims(root / "videos.csv", n=800, seed=2)
    assert run(["claims", "train", str(root / "videos.csv"), "--out", str(root / "model")]) == 0
    return root


def test_synth_command_writes_the_schema(run_cli, tmp_path):
    code, out, _ = run_cli("data", "synth", "claims", "--out", tmp_path / "s.csv", "--rows", "50", "--no-leaky")
    frame = pd.read_csv(tmp_path / "s.csv")
    assert code == 0 and len(frame) == 50 and "wrote 50" in out
    assert frame.columns[0] == "#" and set(frame["claim_status"]) == {"claim", "opinion"}


def test_eda_writes_plots_report_and_audit(run_cli, trained, tmp_path):
    code, out, _ = run_cli("claims", "eda", trained / "videos.csv", "--out", tmp_path / "eda")
    assert code == 0 and "5 shortcut(s)" in out
    names = {"class_balance.png", "duration_by_class.png", "counts_pairplot.png", "report.html", "eda.json"}
    assert {p.name for p in (tmp_path / "eda").iterdir()} == names | {".viewcast-output.json"}
    for name in names:
        assert (tmp_path / "eda" / name).stat().st_size > 0
    eda = json.loads((tmp_path / "eda" / "eda.json").read_text())
    assert eda["class_counts"] == {"claim": 400, "opinion": 400}
    leaks = {f["check"] for f in eda["leakage_audit"] if f["leak"]}
    assert {"one rule on video_view_count", "# vs label"} <= leaks
    claim_terms = {t["term"] for t in eda["telling_terms"]["claim"]}
    opinion_terms = {t["term"] for t in eda["telling_terms"]["opinion"]}
    assert {"read", "learned", "discovered"} <= claim_terms and {"believe", "our view"} <= opinion_terms
    html = (tmp_path / "eda" / "report.html").read_text()
    assert "Leakage audit" in html and html.count("data:image/png;base64,") == 3


def test_train_and_evaluate_write_metrics_with_stress_sets(run_cli, trained, tmp_path):
    code, out, _ = run_cli("claims", "evaluate", trained / "model", trained / "videos.csv", "--out", tmp_path / "ev")
    assert code == 0 and "no_opening" in out
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["accuracy"] == 1.0 and metrics["f1"] == 1.0 and metrics["n"] == 160
    assert set(metrics["stress"]) == {"no_opening", "typos", "counts_shuffled", "off_template"}
    assert metrics["stress"]["counts_shuffled"]["accuracy"] == 1.0  # the default model reads the text
    opinion_terms = {t["term"] for t in metrics["top_terms"]["opinion"]}
    assert opinion_terms & {"think", "believe", "believes", "feel", "view", "convinced"}
    assert all(t["weight"] < 0 for t in metrics["top_terms"]["claim"])
    for name in ("confusion.png", "calibration.png", "stress.png", "misclassified.csv", "report.html"):
        assert (tmp_path / "ev" / name).exists()
    assert "warning" not in out  # evaluated on the table it was trained on


def test_train_records_how_the_model_was_trained(run_cli, trained, tmp_path):
    code, out, _ = run_cli("claims", "train", trained / "videos.csv", "--out", tmp_path / "m", "--cv", "3", "--seed", "4")
    assert code == 0 and "3-fold CV accuracy 1.0000" in out
    manifest = json.loads((tmp_path / "m" / "metadata.json").read_text())
    assert manifest["kind"] == "claims-linear" and manifest["format_version"] == 2
    metrics = manifest["metrics"]
    assert (metrics["rows"], metrics["train_rows"], metrics["val_rows"], metrics["test_rows"]) == (800, 512, 128, 160)
    assert metrics["cv"]["folds"] == 3 and metrics["config"] == {
        "model": "default",
        "seed": 4,
        "cv": 3,
        "epochs": 20,
        "encoder": None,
    }
    write_claims(tmp_path / "small.csv", n=300, seed=9)
    code, out, _ = run_cli("claims", "evaluate", tmp_path / "m", tmp_path / "small.csv", "--out", tmp_path / "ev")
    assert code == 0 and "warning: the model was trained on a table of 800 rows, this one has 300" in out


def test_predict_one_video_and_a_batch(run_cli, trained, tmp_path):
    code, out, _ = run_cli("claims", "predict", trained / "model", "--json", json.dumps(VIDEO))
    answer = json.loads(out)
    assert code == 0 and answer["label"] == "claim" and 0.5 <= answer["probability"] <= 1
    assert answer["p_opinion"] == pytest.approx(1 - answer["probability"])
    opinion = {**VIDEO, "video_transcription_text": "my friends think that honey never spoils"}
    code, out, _ = run_cli("claims", "predict", trained / "model", "--json", json.dumps([VIDEO, opinion]))
    assert code == 0 and [a["label"] for a in json.loads(out)] == ["claim", "opinion"]
    code, out, _ = run_cli(
        "claims", "predict", trained / "model", "--input", trained / "videos.csv", "--output", tmp_path / "p.jsonl"
    )
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    truth = pd.read_csv(trained / "videos.csv")["claim_status"].tolist()
    assert code == 0 and len(rows) == 800 and [r["label"] for r in rows] == truth
    assert rows[0]["video_view_count"] == int(pd.read_csv(trained / "videos.csv")["video_view_count"][0])
    code, out, _ = run_cli(
        "claims", "predict", trained / "model", "--input", trained / "videos.csv", "--output", tmp_path / "p.csv"
    )
    table = pd.read_csv(tmp_path / "p.csv")
    assert code == 0 and "400 claims, 400 opinions" in out and table["label"].tolist() == truth
    assert list(table.columns[-3:]) == ["label", "probability", "p_opinion"] and (table["probability"] >= 0.5).all()
    assert not [p for p in tmp_path.iterdir() if ".viewcast-tmp-" in p.name]


def test_a_bad_record_names_the_flag_and_the_field(run_cli, trained):
    code, out, err = run_cli("claims", "predict", trained / "model", "--json", json.dumps({**VIDEO, "video_view_count": -1}))
    assert code == 2 and out == ""
    assert err.strip() == "error: --json: field 'video_view_count': Input should be greater than or equal to 0"


# -- the study's table (skips without $VIEWCAST_DATA_DIR) ---------------------------------------


@pytest.fixture(scope="module")
def study(shared_data_dir):
    from viewcast.claims.data import load_claims

    return load_claims(shared_data_dir / "tiktok_claims" / "tiktok_dataset.csv")


def test_real_audit_finds_the_known_shortcuts(study):
    from viewcast.claims.leakage import audit_leakage

    findings = {f.check: f for f in audit_leakage(study)}
    assert findings["duplicate transcripts across splits"].detail.startswith("17 of 3,817")
    assert findings["first 2 words of the transcript"].test_accuracy == 1.0
    views = findings["one rule on video_view_count"]
    assert "<= 9,997 -> opinion" in views.detail and views.test_accuracy == pytest.approx(0.995, abs=0.001)
    assert "2 runs" in findings["# vs label"].detail


def test_real_default_model_meets_the_target_and_survives_stress(study):
    from viewcast.claims.pipeline import evaluate, run

    result = run(study)
    evaluation = evaluate(result.model, study)
    assert evaluation.metrics["accuracy"] >= 0.999 and evaluation.metrics["f1"] >= 0.999
    assert result.train_seconds < 10
    stress = evaluation.stress
    assert stress["counts_shuffled"]["accuracy"] >= 0.999
    assert min(stress["no_opening"]["accuracy"], stress["typos"]["accuracy"]) >= 0.995
    assert stress["off_template"]["accuracy"] >= 0.9


def test_real_reference_recipe_reproduces_the_study(study):
    from viewcast.claims.config import ClaimsConfig
    from viewcast.claims.pipeline import evaluate, run

    result = run(study, ClaimsConfig(model="reference", seed=0))
    evaluation = evaluate(result.model, study)
    assert evaluation.metrics["accuracy"] == pytest.approx(0.991, abs=0.003)
    history = result.model.history_
    assert len(history.train_loss) == 20 and history.best_epoch == int(np.argmax(history.val_metric))
    # the network leans on the counts: shuffling them costs far more than for the default model
    assert evaluation.stress["counts_shuffled"]["accuracy"] < 0.9
