"""Training groups sampled a block at a time, and the fit: it learns a learnable pattern, options reach the loop."""

from __future__ import annotations

import numpy as np
import pytest

from viewcast.popularity import training as training_module
from viewcast.popularity.config import PopularityConfig
from viewcast.popularity.evaluation import hit_ratio
from viewcast.popularity.features import FeatureState, LogPass, SlotLog
from viewcast.popularity.training import fit_network, group_arrays, sample_groups, training_data
from viewcast.synth.ratings import decaying_counts


def log_of(counts) -> SlotLog:
    return SlotLog.from_entries(counts["slot"], counts["movieId"], counts["count"])


def test_groups_hold_every_requested_candidate_then_distinct_unrequested_ones():
    log = log_of(decaying_counts(movies=40, slots=30))
    config = PopularityConfig(window=3, group_size=16, groups_per_slot=3)
    block = next(iter(LogPass(log, FeatureState.empty(log.n_items, 3), log.n_slots, cells=10**7)))
    rows = np.array([r for r in range(5, block.n_rows) if block.totals[r] > 0])
    cols, log_rate = sample_groups(block, rows, config, np.random.default_rng(0))
    assert cols.shape == log_rate.shape == (rows.size * 3, 16)
    for group, row in zip(cols, np.repeat(rows, 3)):
        chosen = group[group >= 0]
        candidates = np.flatnonzero(block.candidates(np.array([row]))[0])
        requested = set(np.flatnonzero(block.counts[row] > 0)) & set(candidates)
        assert set(chosen) <= set(candidates) and len(set(chosen)) == chosen.size  # no duplicates, no future items
        positives = [c for c in chosen if c in requested]
        assert len(positives) == min(len(requested), 8)  # up to half the group
        assert chosen.size == min(16, candidates.size, len(positives) + len(set(candidates) - requested))
        assert (group[chosen.size :] == -1).all()  # padding at the end
    assert (log_rate <= 0).all()  # log inclusion rates: rates are at most 1


def test_group_targets_are_relative_shares_and_padding_is_marked():
    log = log_of(decaying_counts(movies=12, slots=20))
    config = PopularityConfig(window=2, group_size=32, groups_per_slot=1)
    block = next(iter(LogPass(log, FeatureState.empty(log.n_items, 2), log.n_slots, cells=10**7)))
    row = np.array([15])
    cols, log_rate = sample_groups(block, row, config, np.random.default_rng(1))
    distinct, window_id, static, target = group_arrays(block, row, cols, log_rate, "slots")
    valid = cols[0] >= 0
    n = block.n_candidates[15]
    assert np.allclose(target[0, valid, 0], block.counts[15, cols[0, valid]] / block.totals[15] * n)
    assert np.array_equal(distinct[window_id[0, valid]], block.sequences(np.full(valid.sum(), 15), cols[0, valid], "slots"))
    assert (target[0, ~valid, 0] == -1).all() and (window_id[0, ~valid] == -1).all() and (static[0, ~valid] == 0).all()
    assert np.allclose(target[0, :, 2], block.totals[15])


def test_model_beats_last_value_and_its_decayed_lfu_start_on_a_learnable_pattern():
    import viewcast
    from viewcast.synth.ratings import ratings_from_counts

    ratings = ratings_from_counts(decaying_counts(movies=200), origin=1_300_000_000 // 86_400 * 86_400)
    result = viewcast.popularity(
        ratings, window=4, hidden=12, group_size=32, groups_per_slot=2, max_epochs=12, patience=12, batch_size=8,
        learning_rate=3e-3, replay=False, progress=False,
    )  # fmt: skip
    model, baselines = result.metrics["model"], result.metrics["baselines"]
    assert model["rmse"] < 0.95 * baselines["last"]["rmse"]
    assert model["hit@50"] > baselines["last"]["hit@50"] + 0.02
    assert model["hit@50"] > baselines["lfu_decayed"]["hit@50"]  # the network's starting point
    assert not result.metrics["kept_initial_weights"]  # it learned, rather than keeping the decayed-LFU start
    assert model["hit@50"] <= result.metrics["oracle"]["hit@50"]
    assert set(baselines) == {"last", "moving_average", "lfu", "recency", "lfu_decayed"}
    per_slot = result.predictions.groupby("slot")
    assert (per_slot["predicted"].sum() <= 1 + 1e-9).all() and (
        per_slot.size() >= 100
    ).all()  # the top 100 and every requested one


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_optimizer_option_reaches_the_training_loop(monkeypatch, optimizer):
    seen = {}
    real_fit = training_module.fit

    def spy(model, train, val, loss_fn, config, val_metric=None):
        seen["optimizer"], seen["lr"] = config.optimizer, config.learning_rate
        return real_fit(model, train, val, loss_fn, config, val_metric)

    monkeypatch.setattr(training_module, "fit", spy)
    log = log_of(decaying_counts(movies=20, slots=40))
    config = PopularityConfig(
        window=3, hidden=4, group_size=16, groups_per_slot=1, optimizer=optimizer, learning_rate=0.02, max_epochs=1, loss="huber"
    )
    fit_network(training_data(log, config), log, config, progress=False)
    assert seen == {"optimizer": optimizer, "lr": 0.02}


def test_streamed_validation_keeps_only_the_sampled_groups():
    log = log_of(decaying_counts(movies=30, slots=60))
    config = PopularityConfig(window=3, group_size=8, groups_per_slot=2)
    data = training_data(log, config)
    train_slots = np.intersect1d(data.split.train, log.active()).size
    assert data.train[0].shape == (train_slots * 2, 8) and data.train[2].shape == (train_slots * 2, 8, 3)
    assert int(data.train[0].max()) < data.windows.shape[0] and data.windows.shape[1:] == (3, 3)
    assert (data.windows[0] == 0).all() and data.windows.shape[0] < data.train[0].numel()  # shared windows are stored once
    assert data.validation_state.t == data.split.validation_start
    assert abs(float(data.train[2][:, 0, 2].mean()) - 1.0) < 1e-5  # slot weights relative to the mean slot
    net = fit_network(data, log, config.model_copy(update={"max_epochs": 1}), progress=False).net
    streamed = hit_ratio(
        net, config.loss, config.windows, log, data.validation_state, data.split.test_start, data.split.validation
    )
    from_start = hit_ratio(
        net, config.loss, config.windows, log, FeatureState.empty(log.n_items, 3), data.split.test_start, data.split.validation
    )
    assert streamed == pytest.approx(from_start)
