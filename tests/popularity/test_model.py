"""Features, metrics, networks, losses, training and the saved-model fixture of the popularity models."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from viewcast.popularity import train as train_module
from viewcast.popularity.evaluate import MetricAccumulator, baseline_metrics
from viewcast.popularity.model import CELLS, PopularityNet, loss_function, predicted_shares
from viewcast.popularity.panel import HALF_LIVES, STATIC_CHANNELS, SlotPanel, slot_batches, split_slots
from viewcast.popularity.train import PopularityConfig, build_dataset, load_popularity_model, train_popularity

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "popularity_model"


def hand_panel() -> SlotPanel:
    """Slots 10..14 and movies 7, 8, 9 (counts per slot below; slot 12 is empty)."""
    counts = pd.DataFrame(
        [(10, 7, 2), (10, 8, 2), (11, 7, 1), (13, 7, 3), (13, 8, 1), (14, 8, 1), (14, 9, 4)],
        columns=["slot", "movieId", "count"],
    )
    return SlotPanel.from_counts(counts)


def test_slot_features_use_only_the_past():
    panel = hand_panel()
    assert panel.slot_ids.tolist() == [10, 11, 12, 13, 14] and panel.totals.tolist() == [4, 1, 0, 4, 5]
    batches = {b.slot: b for b in slot_batches(panel, window=2, windows="slots", wanted=np.arange(5))}
    assert sorted(batches) == [11, 13, 14]  # slot 10 has no candidates yet, 12 no requests
    b = batches[14]
    assert b.movies.tolist() == [0, 1]  # movie 9 is new at slot 14: not a candidate
    assert b.count.tolist() == [0, 1] and b.total == 5 and b.new_counts.tolist() == [4]
    # sequence of slots 12, 13 (relative share = share x 2 candidates, requested flag, slots back)
    assert b.seq[0].tolist() == [[0, 0, 2], [1.5, 1, 1]]
    assert b.seq[1].tolist() == [[0, 0, 2], [0.5, 1, 1]]
    # static: relative cumulative share (6 and 3 requests), relative decayed counts, slots since last, age fraction
    assert STATIC_CHANNELS[0] == "relative_cumulative_share" and STATIC_CHANNELS[-2:] == ("slots_since_last", "age_fraction")
    assert np.allclose(b.static[:, [0, -2, -1]], [[6 / 9 * 2, 1, 1.0], [3 / 9 * 2, 1, 1.0]])
    for column, half_life in enumerate(HALF_LIVES, start=1):
        d = 0.5 ** (1 / half_life)
        decayed = np.array([2 * d**3 + d**2 + 3, 2 * d**3 + 1])  # requests at slots 10, 11, 13 seen from 14
        assert np.allclose(b.static[:, column], decayed / decayed.sum() * 2, rtol=1e-6)
        if half_life == 16:
            assert np.allclose(b.baselines["lfu_decayed"][0], decayed)
    assert np.allclose(b.baselines["last"][0], [0.75, 0.25])
    assert np.allclose(b.baselines["moving_average"][0], [0.375, 0.125])
    assert np.allclose(b.baselines["lfu"][0], [6, 3])
    records = {b.slot: b for b in slot_batches(panel, window=2, windows="records", wanted=np.arange(5))}[14]
    # movie 7's last two records are slots 11 (share 1) and 13 (.75); movie 8: slots 10 (.5) and 13 (.25)
    assert records.seq[0].tolist() == [[2.0, 1, 3], [1.5, 1, 1]]
    assert records.seq[1].tolist() == [[1.0, 1, 4], [0.5, 1, 1]]


def test_chronological_split():
    panel = SlotPanel.from_counts(pd.DataFrame({"slot": np.arange(40), "movieId": np.arange(40) % 3, "count": 1}))
    split = split_slots(panel, 0.2, 0.2)
    assert split["train"].max() < split["validation"].min() <= split["validation"].max() < split["test"].min()
    assert len(split["test"]) == len(split["validation"]) == 8 and len(split["train"]) == 23


def test_hit_ratio_and_errors_on_known_predictions():
    panel = hand_panel()
    batch = [b for b in slot_batches(panel, 2, "slots", np.arange(5)) if b.slot == 13][0]
    # candidates 7, 8 with counts 3, 1 of 4; predicting movie 8 first caches 1 of 4 requests at K=1
    acc = MetricAccumulator()
    acc.add(batch, np.array([0.5, 0.5]), scores=np.array([0.1, 0.9]))
    result = acc.result()
    assert result["hit@10"] == 1.0  # both candidates fit in any cache of 10
    assert math.isclose(result["rmse"], math.sqrt((0.25**2 + 0.25**2) / 2))
    assert math.isclose(result["mae"], 0.25)
    baselines, oracle = baseline_metrics([batch])
    assert oracle["hit@10"] == 1.0 and oracle["rmse"] == 0.0
    # slot 12 was empty: "last" knows nothing and falls back to uniform shares (.5, .5) for (.75, .25)
    assert math.isclose(baselines["last"]["rmse"], 0.25)
    assert math.isclose(baselines["lfu"]["rmse"], 0.15)  # cumulative 3 and 2 requests: (.6, .4)


@pytest.mark.parametrize("cell, body", [("lstm", nn.LSTM), ("gru", nn.GRU), ("rnn", nn.RNN), ("cnn_lstm", nn.LSTM)])
def test_each_cell_builds_its_architecture(cell, body):
    net = PopularityNet(cell, hidden=8, layers=2, dropout=0.1)
    assert type(net.recurrent) is body and net.recurrent.num_layers == 2 and net.recurrent.hidden_size == 8
    assert (net.conv is not None) == (cell == "cnn_lstm")
    if cell == "cnn_lstm":
        assert net.conv.out_channels == 8 and net.recurrent.input_size == 8
    seq, static = torch.rand(4, 5, 6, 3), torch.rand(4, 5, len(STATIC_CHANNELS))
    assert net(seq, static).shape == (4, 5)
    assert set(CELLS) == {"lstm", "gru", "rnn", "cnn_lstm"}


def test_shared_windows_are_encoded_once_without_changing_scores():
    torch.manual_seed(0)
    net = PopularityNet("gru", hidden=6)
    nn.init.normal_(net.head[-1].weight)
    seq = torch.zeros(50, 4, 3)
    seq[:5] = torch.rand(5, 4, 3)
    static = torch.rand(50, len(STATIC_CHANNELS))
    direct = net.head(torch.cat([net.encode(seq), torch.log1p(static)], 1)).squeeze(1) + net.wide(torch.log1p(static)).squeeze(1)
    assert torch.allclose(net(seq, static), direct, atol=1e-6)


def test_losses_are_wired_as_named():
    scores = torch.tensor([[1.0, 2.0, 0.5, 9.0]])
    # (relative share, log sampling rate, slot weight); the last candidate is padding
    target = torch.tensor([[[0.0, 0.0, 2.0], [3.0, 0.0, 2.0], [1.0, math.log(0.5), 2.0], [-1.0, 0.0, 2.0]]])
    valid_scores, valid_target = scores[0, :3], torch.log1p(torch.tensor([0.0, 3.0, 1.0]))  # log relative share
    assert torch.isclose(loss_function("mse")(scores, target), ((valid_scores - valid_target) ** 2).mean())
    assert torch.isclose(loss_function("rmse")(scores, target), ((valid_scores - valid_target) ** 2).mean().sqrt())
    assert torch.isclose(loss_function("mae")(scores, target), (valid_scores - valid_target).abs().mean())
    assert torch.isclose(loss_function("huber")(scores, target), nn.functional.huber_loss(valid_scores, valid_target))
    corrected = valid_scores - torch.tensor([0.0, 0.0, math.log(0.5)])
    expected = -(torch.tensor([0.0, 0.75, 0.25]) * torch.log_softmax(corrected, 0)).sum()
    assert torch.isclose(loss_function("cross_entropy")(scores, target), expected)
    with pytest.raises(ValueError, match="unknown loss"):
        loss_function("hinge")
    shares = predicted_shares(torch.log1p(torch.tensor([1.0, -0.5, 3.0])), "mse")
    assert torch.allclose(shares, torch.tensor([0.25, 0.0, 0.75]))
    assert torch.isclose(predicted_shares(torch.tensor([0.0, 0.0]), "cross_entropy").sum(), torch.tensor(1.0))


def test_busy_slots_weigh_more_in_every_loss():
    """Hit ratios sum requests over slots, so a slot's loss is weighted by its requests."""
    scores = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
    target = torch.zeros(2, 2, 3)
    target[0, :, 0], target[1, :, 0] = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    for name in ("mse", "mae", "huber", "cross_entropy"):
        fn = loss_function(name)
        per_slot = [fn(scores[i : i + 1], target[i : i + 1].clone().index_fill_(2, torch.tensor([2]), 1.0)) for i in (0, 1)]
        target[0, :, 2], target[1, :, 2] = 0.5, 1.5
        assert torch.isclose(fn(scores, target), 0.25 * per_slot[0] + 0.75 * per_slot[1]), name


def synthetic_counts(seed: int = 0, movies: int = 60, slots: int = 120) -> pd.DataFrame:
    """A learnable pattern: each movie is released at a random slot and decays geometrically.

    Expected requests are a smooth curve but the observed counts are Poisson noise around it, so
    the last slot's share is a noisy guess and a model that learns the decay does better.
    """
    rng = np.random.default_rng(seed)
    release = rng.integers(-20, slots - 5, movies)
    peak = rng.lognormal(2.5, 0.6, movies)
    t = np.arange(slots)[:, None]
    age = t - release[None, :]
    rate = np.where(age >= 0, peak * 0.8 ** np.maximum(age, 0) + 0.3, 0.0)
    counts = rng.poisson(rate)
    slot, movie = np.nonzero(counts)
    return pd.DataFrame({"slot": slot, "movieId": movie + 1, "count": counts[slot, movie]})


def small_config(**overrides) -> PopularityConfig:
    settings = dict(
        window=4, hidden=12, group_size=32, groups_per_slot=2, max_epochs=12, patience=12, batch_size=8, learning_rate=3e-3
    )
    settings.update(overrides)
    return PopularityConfig(**settings)


def test_model_beats_last_value_on_a_learnable_pattern():
    config = small_config()
    run = train_popularity(build_dataset(synthetic_counts(movies=200), config.dataset()), config, progress=False)
    model, last = run.metrics["model"], run.metrics["baselines"]["last"]
    assert model["rmse"] < 0.95 * last["rmse"]
    assert model["hit@50"] > last["hit@50"] + 0.02
    assert model["hit@50"] > run.metrics["baselines"]["lfu_decayed"]["hit@50"]  # the network's starting point
    assert not run.metrics["kept_initial_weights"]  # it learned, rather than keeping the decayed-LFU start
    assert model["hit@50"] <= run.metrics["oracle"]["hit@50"]
    assert set(run.metrics) >= {"model", "baselines", "oracle"}
    assert set(run.metrics["baselines"]) == {"last", "moving_average", "lfu", "recency", "lfu_decayed"}
    frame = run.predictions
    assert np.allclose(frame.groupby("slot")["predicted"].sum(), 1.0)


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_optimizer_option_reaches_the_training_loop(monkeypatch, optimizer):
    seen = {}
    real_fit = train_module.fit

    def spy(model, train, val, loss_fn, config, val_metric=None):
        seen["optimizer"], seen["lr"] = config.optimizer, config.learning_rate
        return real_fit(model, train, val, loss_fn, config, val_metric)

    monkeypatch.setattr(train_module, "fit", spy)
    config = small_config(optimizer=optimizer, learning_rate=0.02, max_epochs=1, loss="huber")
    train_popularity(build_dataset(synthetic_counts(movies=20, slots=40), config.dataset()), config, progress=False)
    assert seen == {"optimizer": optimizer, "lr": 0.02}


def test_saved_fixture_still_loads_and_predicts_the_same():
    model, config = load_popularity_model(FIXTURE)
    assert config.cell == "gru" and config.hidden == 4
    generator = torch.Generator().manual_seed(0)
    seq = torch.rand(3, config.window, 3, generator=generator) * 4
    static = torch.rand(3, len(STATIC_CHANNELS), generator=generator) * 4
    with torch.no_grad():
        scores = model(seq, static).numpy()
    assert np.allclose(scores, EXPECTED_FIXTURE_SCORES, atol=1e-5), scores.tolist()


EXPECTED_FIXTURE_SCORES = [1.4885001182556152, 0.657541036605835, 1.0477062463760376]


def test_tampered_model_is_refused(tmp_path):
    import shutil

    from viewcast.errors import ModelLoadError

    target = tmp_path / "m"
    shutil.copytree(FIXTURE, target)
    (target / "config.json").write_text((target / "config.json").read_text().replace('"hidden": 4', '"hidden": 5'))
    with pytest.raises(ModelLoadError, match="checksum"):
        load_popularity_model(target)


def write_prepared(folder: Path, counts: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    counts.assign(share=counts["count"] / counts.groupby("slot")["count"].transform("sum")).to_parquet(folder / "counts.parquet")
    return folder


def test_train_cli_writes_model_predictions_and_metrics(tmp_path, run_cli):
    prepared = write_prepared(tmp_path / "p", synthetic_counts(movies=30, slots=50))
    code, out, err = run_cli(
        "popularity", "train", "--prepared", prepared, "--out", tmp_path / "t", "--cell", "cnn_lstm", "--hidden", "6",
        "--window", "3", "--max-epochs", "2", "--loss", "mae", "--optimizer", "rmsprop", "--windows", "records",
    )  # fmt: skip
    assert code == 0, err
    import json

    metrics = json.loads((tmp_path / "t" / "metrics.json").read_text())
    assert set(metrics["model"]) == {"rmse", "mae", "hit@10", "hit@50", "hit@100"}
    assert metrics["config"]["cell"] == "cnn_lstm" and metrics["config"]["loss"] == "mae"
    assert len(pd.read_parquet(tmp_path / "t" / "predictions.parquet")) > 0
    model, config = load_popularity_model(tmp_path / "t" / "model")
    assert config.optimizer == "rmsprop" and model.conv is not None
    code, _, err = run_cli("popularity", "train", "--prepared", tmp_path / "nothing", "--out", tmp_path / "x")
    assert code == 2 and "run 'viewcast popularity prepare' first" in err
    code, _, err = run_cli("popularity", "train", "--prepared", prepared, "--out", tmp_path / "x", "--cell", "transformer")
    assert code == 2 and "cell" in err


def test_tiny_sweep_end_to_end(tmp_path, run_cli):
    prepared = write_prepared(tmp_path / "p", synthetic_counts(movies=25, slots=40))
    config = tmp_path / "sweep.toml"
    config.write_text(
        'prepared = "p"\n[fixed]\nwindow = 3\nhidden = 4\nmax_epochs = 2\ngroup_size = 16\ngroups_per_slot = 1\n'
        '[grid]\ncell = ["lstm", "gru"]\nloss = ["cross_entropy", "rmse"]\n'
    )
    code, out, err = run_cli("popularity", "sweep", config, "--out", tmp_path / "s")
    assert code == 0, err
    results = pd.read_csv(tmp_path / "s" / "results.csv")
    assert len(results) == 4 and set(results["cell"]) == {"lstm", "gru"}
    assert results["val_hit@50"].is_monotonic_decreasing
    report = (tmp_path / "s" / "report.html").read_text()
    assert "Caching on the test slots" in report and report.count("data:image/png;base64,") == 3
    assert (tmp_path / "s" / "best" / "model" / "weights.safetensors").is_file()
    config.write_text('[grid]\ncell = ["lstm", "lstn"]\n')
    code, _, err = run_cli("popularity", "sweep", config, "--out", tmp_path / "s2", "--prepared", prepared)
    assert code == 2 and "lstn" in err and not (tmp_path / "s2").exists()
