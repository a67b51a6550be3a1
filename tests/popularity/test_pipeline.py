"""``run``, its result and folder, and the commands end to end: prepare -> train -> predict, and sweeps."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import viewcast
from viewcast.errors import ConfigError, DataValidationError
from viewcast.io.outputs import MARKER
from viewcast.popularity.config import PopularityConfig, SweepConfig
from viewcast.popularity.replay import LABELS


def test_result_holds_metrics_replay_and_a_serving_model(trained):
    payload = json.loads(json.dumps(trained.to_dict(), allow_nan=False))
    metrics = payload["metrics"]
    assert set(metrics["model"]) == {"rmse", "mae", "hit@10", "hit@50", "hit@100"}
    assert set(metrics["baselines"]) == {"last", "moving_average", "lfu", "recency", "lfu_decayed"}
    assert metrics["oracle"]["rmse"] == 0 and metrics["model"]["hit@100"] <= metrics["oracle"]["hit@100"]
    assert metrics["split"]["test_slots"] == 18 and metrics["validation"]["model"]["hit@10"] > 0
    replay = payload["replay"]
    assert replay["catalogue"] == trained.model.items.size and replay["measured_requests"] > 0
    policies = {row["policy"] for row in replay["rows"]}
    assert policies == {"lru", "lfu", "belady", "belady_bypass", "learned", "decayed_score"}
    for fraction in (0.05, 0.2):
        rows = {row["policy"]: row for row in replay["rows"] if row["size_fraction"] == fraction}
        assert all(0 <= row["hit_ratio"] <= rows["belady_bypass"]["hit_ratio"] for row in rows.values())  # the ceiling
        assert rows["lru"]["hit_ratio"] <= rows["belady"]["hit_ratio"]
        for name in ("learned", "decayed_score"):  # chosen on validation from the whole grid
            assert rows[name]["settings_tried"] == 15 and rows[name]["beta"] in (0.0, 0.01, 0.1, 1.0, 10.0)
            assert rows[name]["requests"] == rows["lru"]["requests"] == replay["measured_requests"]
    table = trained.replay_table()
    assert list(table.columns) == [0.05, 0.2] and table.loc["lru", 0.05] <= table.loc["lru", 0.2]
    assert trained.model.predict({"top": 3})["candidates"] == trained.model.items.size
    cache = trained.model.metrics["learned_cache"]  # saved with the model: how to run its cache
    assert [c["size_fraction"] for c in cache] == [0.05, 0.2] and all(c["beta"] in (0.0, 0.01, 0.1, 1.0, 10.0) for c in cache)


def test_saved_folder_has_every_output_and_the_report_shows_the_replay(trained_folder):
    names = {p.name for p in trained_folder.iterdir()}
    assert names == {
        MARKER, "metrics.json", "replay.csv", "predictions.parquet", "report.html", "model",
        "hit_ratio.png", "learning_curves.png", "predicted_vs_actual.png", "replay.png",
    }  # fmt: skip
    assert json.loads((trained_folder / "metrics.json").read_text())["replay"]["rows"]
    report = (trained_folder / "report.html").read_text()
    assert (
        "Replay through cache policies" in report and LABELS["learned"] in report and report.count("data:image/png;base64,") == 4
    )
    assert "The learned cache is at or above the best non-learning policy at" in report and LABELS["belady_bypass"] in report
    predictions = pd.read_parquet(trained_folder / "predictions.parquet")
    assert {"slot", "movieId", "count", "share", "predicted", "baseline_lfu_decayed"} <= set(predictions.columns)
    assert viewcast.load_model(trained_folder / "model").KIND == "popularity"


def test_runs_from_a_folder_a_dataframe_and_a_prepared_folder_agree(ratings_folder, prepared_folder, fast):
    options = {**fast, "replay": False, "max_epochs": 1}
    from_prepared = viewcast.popularity(prepared_folder, **options)
    from_folder = viewcast.popularity(ratings_folder, **options)
    from_frame = viewcast.popularity(pd.read_csv(ratings_folder / "ratings.csv"), **options)
    for other in (from_folder, from_frame):
        assert other.metrics["model"] == pytest.approx(from_prepared.metrics["model"])
    assert from_prepared.replay is None
    with pytest.raises(DataValidationError, match="prepared with daily slots") as caught:
        viewcast.popularity(prepared_folder, slot="weekly")
    assert caught.value.param == "slot"


def test_the_replay_trace_is_removed_even_when_the_run_fails(prepared_folder, fast, tmp_path, monkeypatch):
    import tempfile

    from viewcast.popularity import pipeline

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def failing(*args, **kwargs):
        raise RuntimeError("replay failed")

    monkeypatch.setattr(pipeline, "fit_network", failing)
    with pytest.raises(RuntimeError, match="replay failed"):
        viewcast.popularity(prepared_folder, **fast)
    monkeypatch.setattr(pipeline, "replay_policies", failing)
    with pytest.raises(RuntimeError, match="replay failed"):
        viewcast.popularity(prepared_folder, **fast)
    assert not list(tmp_path.glob("viewcast-replay-*"))


def test_options_are_validated_and_name_their_parameter():
    for options, param in [
        ({"window": 0}, "window"),
        ({"cache_sizes": [0.5, 2]}, "cache_sizes"),
        ({"policies": ["lru", "fifo"]}, "policies.1"),
        ({"memory_limit": "2GB'; SELECT 1"}, "memory_limit"),
        ({"cell": "transformer"}, "cell"),
        ({"windoww": 3}, "windoww"),
        ({"learned_betas": [0.1, -1]}, "learned_betas"),
        ({"learned_windows": [1.0]}, "learned_windows"),
    ]:
        with pytest.raises(ConfigError) as caught:
            PopularityConfig.parse(options)
        assert caught.value.param == param and "http" not in caught.value.message
    assert PopularityConfig.parse({"loss": "cross-entropy", "cache_sizes": [0.1, 0.01, 0.1]}).cache_sizes == [0.01, 0.1]
    sweep = SweepConfig.parse({"fixed": {"window": 3}, "grid": {"cell": ["lstm", "gru"], "hidden": [4, 8]}})
    assert len(sweep.runs()) == 4
    with pytest.raises(ConfigError) as caught:
        SweepConfig.parse({"grid": {"cell": ["lstm", "lstn"]}}).runs()
    assert caught.value.param == "grid.cell"


def test_prepare_train_predict_on_the_command_line(tmp_path, run_cli, ratings_folder):
    code, _, err = run_cli("popularity", "prepare", "--data", ratings_folder, "--slot", "daily", "--out", tmp_path / "p")
    assert code == 0, err
    code, out, err = run_cli(
        "popularity", "train", "--prepared", tmp_path / "p", "--out", tmp_path / "t", "--cell", "cnn_lstm", "--hidden", "6",
        "--window", "3", "--max-epochs", "1", "--loss", "mae", "--optimizer", "rmsprop", "--windows", "records",
        "--group-size", "16", "--policies", "lru,arc", "--cache-sizes", "0.1", "--learned-betas", "1,0",
        "--learned-windows", "0",
    )  # fmt: skip
    assert code == 0, err
    assert "replay: hit ratio" in out and "ARC" in out and "learned" in out
    metrics = json.loads((tmp_path / "t" / "metrics.json").read_text())
    assert (
        metrics["config"]["cell"] == "cnn_lstm"
        and metrics["config"]["loss"] == "mae"
        and metrics["config"]["optimizer"] == "rmsprop"
    )
    assert {row["policy"] for row in metrics["replay"]["rows"]} == {"lru", "arc", "learned", "decayed_score"}
    assert {row["settings_tried"] for row in metrics["replay"]["rows"] if row["policy"] == "learned"} == {2}
    code, out, err = run_cli(
        "popularity", "predict", "--model", tmp_path / "t" / "model", "--top", "4", "--out", tmp_path / "a.json"
    )
    assert code == 0, err
    answer = json.loads((tmp_path / "a.json").read_text())
    assert (
        len(answer["items"]) == 4
        and answer["slot"] == metrics["data"]["last_slot"] + 1
        and str(answer["items"][0]["item"]) in out
    )
    later = tmp_path / "later.csv"
    later.write_text(
        "userId,movieId,rating,timestamp\n" + f"1,{answer['items'][3]['item']},4,{(answer['slot'] + 2) * 86_400 + 5}\n" * 30
    )
    code, out, err = run_cli(
        "popularity", "predict", "--model", tmp_path / "t" / "model", "--data", later, "--top", "2", "--out", tmp_path / "b.csv"
    )
    assert code == 0, err
    rows = (tmp_path / "b.csv").read_text().splitlines()
    assert rows[0] == "rank,item,share" and str(answer["items"][3]["item"]) in {
        row.split(",")[1] for row in rows[1:]
    }  # 30 requests moved it up


def test_tiny_sweep_end_to_end(tmp_path, run_cli, prepared_folder):
    config = tmp_path / "sweep.toml"
    config.write_text(
        f'prepared = "{prepared_folder}"\n[fixed]\nwindow = 3\nhidden = 4\nmax_epochs = 1\ngroup_size = 16\ngroups_per_slot = 1\n'
        'cache_sizes = [0.1]\npolicies = ["lru"]\n[grid]\ncell = ["lstm", "gru"]\nloss = ["cross_entropy", "rmse"]\n'
    )
    code, out, err = run_cli("popularity", "sweep", config, "--out", tmp_path / "s")
    assert code == 0, err
    results = pd.read_csv(tmp_path / "s" / "results.csv")
    assert len(results) == 4 and set(results["cell"]) == {"lstm", "gru"} and results["val_hit@50"].is_monotonic_decreasing
    report = (tmp_path / "s" / "report.html").read_text()
    assert "Caching on the test slots" in report and "Replay through cache policies" in report
    runs = json.loads((tmp_path / "s" / "runs.json").read_text())
    assert len(runs["runs"]) == 4 and runs["best_run"] == int(results["run"].iloc[0])
    assert (tmp_path / "s" / "best" / "model" / "weights.safetensors").is_file()


def test_predict_from_the_saved_fixture_model_on_the_command_line(tmp_path, run_cli):
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "popularity_model_v2"  # in every clone
    code, out, err = run_cli("popularity", "predict", "--model", fixture, "--top", "3", "--out", tmp_path / "a.json")
    assert code == 0, err
    answer = json.loads((tmp_path / "a.json").read_text())
    model = viewcast.load_model(fixture)
    assert answer["slot"] == model.origin + model.state.t and [i["rank"] for i in answer["items"]] == [1, 2, 3]
    shares = [i["share"] for i in answer["items"]]
    assert shares == sorted(shares, reverse=True) and answer == model.predict({"top": 3})
