"""Per-slot candidate features, computed a block of slots at a time: values, no leaks, state hand-over."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from viewcast.errors import DataValidationError
from viewcast.popularity.features import (
    HALF_LIVES,
    MAX_SLOTS,
    STATIC_CHANNELS,
    Block,
    FeatureState,
    LogPass,
    SlotLog,
    advance,
    distinct_rows,
)


def hand_log() -> SlotLog:
    """Slots 10..14 and movies 7, 8, 9 (counts below; slot 12 is empty)."""
    rows = [(10, 7, 2), (10, 8, 2), (11, 7, 1), (13, 7, 3), (13, 8, 1), (14, 8, 1), (14, 9, 4)]
    frame = pd.DataFrame(rows, columns=["slot", "movieId", "count"])
    return SlotLog.from_entries(frame["slot"], frame["movieId"], frame["count"])


def random_log(seed: int = 3, slots: int = 60, movies: int = 25) -> SlotLog:
    rng = np.random.default_rng(seed)
    rows = [
        (t + 100, m * 3 + 1, int(rng.integers(1, 5)))
        for t in range(slots)
        if rng.random() > 0.2
        for m in rng.choice(movies, rng.integers(1, 8), replace=False)
    ]
    frame = pd.DataFrame(rows, columns=["slot", "movieId", "count"])
    return SlotLog.from_entries(frame["slot"], frame["movieId"], frame["count"])


def features_by_slot(log: SlotLog, window: int, windows: str, cells: int) -> dict[int, dict]:
    """Every slot's candidates (sorted by item id) with their features, from a pass with blocks of ``cells``."""
    out = {}
    for block in LogPass(log, FeatureState.empty(log.n_items, window), log.n_slots, cells=cells):
        for row in np.flatnonzero(block.totals > 0):  # slots without requests are skipped, not scored
            cols = np.flatnonzero(block.candidates(np.array([row]))[0])
            if cols.size == 0:
                continue
            cols = cols[np.argsort(log.items[cols])]
            rows = np.full(cols.size, row)
            baselines = {
                name: (rank[0][cols], share[0][cols]) for name, (rank, share) in block.baselines(np.array([row])).items()
            }
            out[log.origin + block.a + row] = {
                "items": log.items[cols].tolist(),
                "seq": block.sequences(rows, cols, windows),
                "static": block.static(rows, cols),
                "baselines": baselines,
                "count": block.counts[row, cols],
            }
    return out


def test_items_are_numbered_by_first_request():
    log = hand_log()
    assert log.origin == 10 and log.n_slots == 5 and log.items.tolist() == [7, 8, 9]
    assert log.first.tolist() == [0, 0, 4] and log.totals.tolist() == [4, 1, 0, 4, 5]
    assert [int(log.seen_before(t)) for t in range(6)] == [0, 2, 2, 2, 2, 3]
    assert log.dense(3, 5, 3).tolist() == [[3, 1, 0], [0, 1, 4]]
    assert log.active().tolist() == [1, 3, 4]  # slot 10 has no candidates yet, 12 no requests


def test_slot_features_on_hand_made_counts_use_only_the_past():
    slot = features_by_slot(hand_log(), window=2, windows="slots", cells=4)[14]
    assert slot["items"] == [7, 8]  # movie 9 is new at slot 14: not a candidate
    assert slot["count"].tolist() == [0, 1]
    # slots 12, 13: relative share (share x 2 candidates), requested flag, slots back
    assert slot["seq"][0].tolist() == [[0, 0, 2], [1.5, 1, 1]]
    assert slot["seq"][1].tolist() == [[0, 0, 2], [0.5, 1, 1]]
    assert STATIC_CHANNELS[0] == "relative_cumulative_share" and STATIC_CHANNELS[-2:] == ("slots_since_last", "age_fraction")
    assert np.allclose(slot["static"][:, [0, -2, -1]], [[6 / 9 * 2, 1, 1.0], [3 / 9 * 2, 1, 1.0]])
    for column, half_life in enumerate(HALF_LIVES, start=1):
        d = 0.5 ** (1 / half_life)
        decayed = np.array([2 * d**3 + d**2 + 3, 2 * d**3 + 1])  # requests at slots 10, 11, 13 seen from 14
        assert np.allclose(slot["static"][:, column], decayed / decayed.sum() * 2, rtol=1e-6)
        if half_life == 16:
            assert np.allclose(slot["baselines"]["lfu_decayed"][0], decayed)
    assert np.allclose(slot["baselines"]["last"][0], [0.75, 0.25])
    assert np.allclose(slot["baselines"]["moving_average"][0], [0.375, 0.125])
    assert np.allclose(slot["baselines"]["lfu"][0], [6, 3])
    assert np.allclose(slot["baselines"]["recency"][1], [0.75, 0.25])  # share at the last request
    records = features_by_slot(hand_log(), window=2, windows="records", cells=4)[14]
    # movie 7's last two records are slots 11 (share 1) and 13 (.75); movie 8: slots 10 (.5) and 13 (.25)
    assert records["seq"][0].tolist() == [[2.0, 1, 3], [1.5, 1, 1]]
    assert records["seq"][1].tolist() == [[1.0, 1, 4], [0.5, 1, 1]]


@pytest.mark.parametrize("windows", ["slots", "records"])
def test_features_do_not_depend_on_how_slots_are_blocked(windows):
    log = random_log()
    one_slot_blocks = features_by_slot(log, 4, windows, cells=1)
    whole_log = features_by_slot(log, 4, windows, cells=10**7)
    assert one_slot_blocks.keys() == whole_log.keys() and len(whole_log) > 30
    for slot, expected in whole_log.items():
        got = one_slot_blocks[slot]
        assert got["items"] == expected["items"]
        assert np.allclose(got["seq"], expected["seq"], atol=1e-5) and np.allclose(got["static"], expected["static"], rtol=1e-5)
        for name, (rank, share) in expected["baselines"].items():
            assert np.allclose(got["baselines"][name][0], rank) and np.allclose(got["baselines"][name][1], share)


def test_a_slot_and_its_future_never_change_its_features():
    base = pd.DataFrame({"slot": np.repeat(np.arange(20), 3), "movieId": np.tile([1, 2, 3], 20), "count": 1 + np.arange(60) % 4})
    changed = base.copy()
    changed.loc[changed["slot"] >= 12, "count"] *= 7
    logs = [SlotLog.from_entries(f["slot"], f["movieId"], f["count"]) for f in (base, changed)]
    for windows in ("slots", "records"):
        before, after = (features_by_slot(log, 3, windows, cells=6)[12] for log in logs)
        assert np.array_equal(before["seq"], after["seq"]) and np.array_equal(before["static"], after["static"])
        assert not np.array_equal(before["count"], after["count"])  # the target itself did change


def test_skipping_empty_slots_equals_passing_through_them():
    log = random_log(seed=5)
    state = next(iter(LogPass(log, FeatureState.empty(log.n_items, 4), log.n_slots, cells=40 * log.n_items))).end_state()
    for gap in (1, 3, 4, 9):
        passed = Block(state, np.zeros((gap, log.n_items)), np.zeros(gap)).end_state()
        skipped = state.skip(gap)
        assert skipped.t == passed.t == state.t + gap
        for f in fields(FeatureState):
            assert np.allclose(getattr(skipped, f.name), getattr(passed, f.name)), (gap, f.name)


def test_advancing_with_given_slots_equals_the_pass_over_the_log():
    log = random_log(seed=7, slots=80)
    log_pass = LogPass(log, FeatureState.empty(log.n_items, 3), log.n_slots)
    assert len(list(log_pass)) >= 1
    final = log_pass.state
    slots = np.flatnonzero(log.totals > 0)
    items = [log.item[log.indptr[t] : log.indptr[t + 1]] for t in slots]
    counts = [log.count[log.indptr[t] : log.indptr[t + 1]] for t in slots]
    state = FeatureState.empty(0, 3).grow(log.n_items)
    for part in np.array_split(np.arange(slots.size), 3):  # three requests, one after the other
        state = advance(state, slots[part], [items[i] for i in part], [counts[i] for i in part])
    for f in fields(FeatureState):
        assert np.allclose(getattr(state, f.name), getattr(final, f.name)), f.name
    long_gap = advance(final, np.array([final.t + 5000]), [np.array([0])], [np.array([2.0])])
    assert long_gap.t == final.t + 5001 and long_gap.last[0] == final.t + 5000 and long_gap.cum[0] == final.cum[0] + 2


@pytest.mark.parametrize("windows", ["slots", "records"])
def test_distinct_windows_stand_for_every_cell(windows):
    log = random_log(seed=11)
    block = next(iter(LogPass(log, FeatureState.empty(log.n_items, 4), log.n_slots, cells=10**7)))
    rows, cols = np.nonzero(block.candidates(np.arange(block.n_rows)))
    distinct, window_of = block.encoded_windows(rows, cols, windows)
    assert np.array_equal(distinct[window_of], block.sequences(rows, cols, windows))
    assert distinct.shape[0] < rows.size  # shared windows are kept once
    first, inverse = distinct_rows(distinct)
    assert first.size == distinct.shape[0] and np.array_equal(distinct[first][inverse], distinct)


def test_logs_that_cannot_be_slotted_are_refused():
    with pytest.raises(DataValidationError, match="empty"):
        SlotLog.from_entries(np.array([]), np.array([]), np.array([]))
    with pytest.raises(DataValidationError, match="use longer slots") as caught:
        SlotLog.from_entries(np.array([0, MAX_SLOTS + 5]), np.array([1, 2]), np.array([1, 1]))
    assert caught.value.param == "slot"
