"""Replay: libCacheSim policies against references, warm-up, the ceiling, and the learned cache (admission and eviction)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from viewcast.popularity.learned_policy import LearnedReplay, ScoredCache, Setting, expected_totals
from viewcast.popularity.replay import (
    MINIMUM_ITEMS,
    RequestStream,
    Trace,
    belady_bypass_hits,
    cache_items,
    next_access,
    replay_policies,
)


def zipf_stream(n: int = 3000, items: int = 200, slots: int = 30, warmup_slots: int = 10, seed: int = 0) -> RequestStream:
    """Zipf requests over ``slots`` slots; the first ``warmup_slots`` slots warm the caches up."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, items + 1)
    item = rng.choice(items, n, p=weights / weights.sum())
    slot = np.sort(rng.integers(0, slots, n))
    return RequestStream(item=item, slot=slot, warmup=int(np.searchsorted(slot, warmup_slots)))


def reference_lru(items: np.ndarray, size: int, warmup: int) -> int:
    cache: OrderedDict[int, None] = OrderedDict()
    hits = 0
    for i, item in enumerate(items.tolist()):
        if item in cache:
            cache.move_to_end(item)
            hits += i >= warmup
            continue
        if len(cache) >= size:
            cache.popitem(last=False)
        cache[item] = None
    return hits


def reference_belady(items: np.ndarray, size: int, warmup: int) -> int:
    following = next_access(items)
    following[following < 0] = items.size + 1
    cache: dict[int, int] = {}
    hits = 0
    for i, item in enumerate(items.tolist()):
        if item not in cache and len(cache) >= size:
            del cache[max(cache, key=cache.get)]
        hits += (item in cache) and i >= warmup
        cache[item] = following[i]
    return hits


def test_next_access_points_at_the_next_request_of_the_same_item():
    assert next_access(np.array([5, 3, 5, 5, 3, 9])).tolist() == [2, 4, 3, -1, -1, -1]


def test_standard_policies_match_references_and_warm_up_is_not_counted():
    stream = zipf_stream()
    with Trace(stream) as trace:
        rows = replay_policies(trace, ["lru", "belady", "lfu"], [0.05, 0.2], catalogue=200)
        folder = trace.folder
        assert folder.is_dir()
    assert not folder.exists()  # the trace file is removed
    by_key = {(r["policy"], r["size_items"]): r for r in rows}
    for size in (10, 40):
        assert by_key["lru", size]["hits"] == reference_lru(stream.item, size, stream.warmup)
        assert by_key["belady", size]["hits"] == reference_belady(stream.item, size, stream.warmup)
        assert by_key["lru", size]["requests"] == stream.measured == 3000 - stream.warmup
        assert by_key["lru", size]["hits"] <= by_key["belady", size]["hits"]  # the ceiling
        assert by_key["lfu", size]["hit_ratio"] == by_key["lfu", size]["hits"] / stream.measured
    assert by_key["lru", 10]["hit_ratio"] < by_key["lru", 40]["hit_ratio"]


def test_cache_sizes_are_fractions_of_the_catalogue_and_tiny_caches_are_not_applicable():
    assert cache_items(0.001, 9066) == 9 and cache_items(0.1, 9066) == 907 and cache_items(0.001, 300) == 1
    with Trace(zipf_stream(n=500)) as trace:
        rows = replay_policies(trace, ["s3fifo", "wtinylfu", "sieve", "arc"], [0.01, 0.03], catalogue=200)
    by_key = {(r["policy"], r["size_items"]): r for r in rows}
    assert MINIMUM_ITEMS == {"s3fifo": 3, "wtinylfu": 2}
    assert by_key["s3fifo", 2]["hit_ratio"] is None and by_key["wtinylfu", 2]["hit_ratio"] > 0
    assert by_key["s3fifo", 6]["hit_ratio"] > 0 and by_key["wtinylfu", 6]["hit_ratio"] > 0  # the small queues got an item
    assert by_key["sieve", 2]["hit_ratio"] > 0 and by_key["arc", 2]["requests_per_second"] > 0


def replay_learned(stream: RequestStream, mu_of_slot, sizes=(0.05, 0.2), **grid) -> list[dict]:
    replay = LearnedReplay(stream, sizes, catalogue=200, scores=["learned"], **grid)
    for slot in np.unique(stream.slot):
        replay.slot(int(slot), {"learned": mu_of_slot(int(slot))})
    return replay.rows()


def test_the_learned_cache_with_equal_keys_and_no_admission_test_is_exactly_lru():
    stream = zipf_stream()
    with Trace(stream) as trace:
        lru = {r["size_items"]: r["hits"] for r in replay_policies(trace, ["lru"], [0.05, 0.2], catalogue=200)}
    rows = replay_learned(stream, lambda slot: np.zeros(200), betas=[0.0], windows=[0.0])
    for row in rows:  # equal keys: the least recently touched leaves, and a newcomer ties, so it comes in
        assert row["policy"] == "learned" and row["hits"] == lru[row["size_items"]] == reference_lru(
            stream.item, row["size_items"], stream.warmup
        )
    assert rows[0]["requests"] == stream.measured and rows[0]["beta"] == 0.0 and rows[0]["settings_tried"] == 1


def test_the_learned_cache_follows_its_predictions_and_admission_helps():
    stream = zipf_stream(seed=4)
    future = np.zeros((31, 200))
    np.add.at(future, (stream.slot, stream.item), 1.0)  # requests per slot and item: a perfect next-slot prediction
    informed = replay_learned(stream, lambda slot: future[slot], betas=[0.0], windows=[0.0])
    inverted = replay_learned(stream, lambda slot: -future[slot], betas=[0.0], windows=[0.0])
    for good, bad in zip(informed, inverted):
        size = good["size_items"]
        assert good["hits"] > reference_lru(stream.item, size, stream.warmup) > bad["hits"]
        assert good["hits"] <= belady_bypass_hits(stream, size)  # the true ceiling


def test_a_setting_is_chosen_on_validation_only():
    stream = zipf_stream(seed=1)
    rows = replay_learned(stream, lambda slot: np.zeros(200), betas=[0.0, 1.0], windows=[0.0, 0.5])
    for row in rows:
        assert row["settings_tried"] == 4 and 0 < row["validation_hit_ratio"] <= 1
        assert row["beta"] == 1.0  # equal predictions: within-slot counts are all the evidence there is


def test_scored_cache_admits_only_what_beats_the_victim():
    cache = ScoredCache(items=2, n_items=4, setting=Setting(beta=0.0, window=0.0))
    cache.start_slot([5.0, 1.0, 3.0, 0.5])
    assert cache.replay([0, 1, 3, 2, 2, 0]) == 2  # 3 (0.5) is refused, 2 (3.0) replaces 1 (1.0); then 2 and 0 hit
    assert cache.members == {0, 2}
    windowed = ScoredCache(items=2, n_items=4, setting=Setting(beta=0.0, window=0.5))
    windowed.start_slot([5.0, 1.0, 3.0, 0.5])
    assert windowed.replay([3, 3, 0, 3]) == 2 and windowed.window_size == 1 and windowed.main_size == 1


def test_belady_with_bypass_is_the_optimum_and_at_least_libcachesim_belady():
    stream = RequestStream(item=np.array([0, 1, 2, 0, 1, 0]), slot=np.zeros(6, dtype=np.int64), warmup=0)
    assert belady_bypass_hits(stream, 1) == 2  # keep 0 and refuse 1 and 2: hits at 3 and 5
    stream = zipf_stream(seed=3)
    with Trace(stream) as trace:
        rows = replay_policies(trace, ["belady", "belady_bypass"], [0.01, 0.05], catalogue=200)
    by_key = {(r["policy"], r["size_items"]): r["hits"] for r in rows}
    for size in (2, 10):
        assert by_key["belady_bypass", size] >= by_key["belady", size] >= reference_lru(stream.item, size, stream.warmup)


def test_expected_totals_use_only_earlier_slots():
    totals = np.array([0.0, 10.0, 0.0, 20.0, 30.0])
    expected = expected_totals(totals)
    a = 0.5 ** (1 / 4)
    assert expected[:2].tolist() == [1.0, 1.0] and expected[2] == expected[3] == 10.0
    assert expected[4] == pytest.approx(a * 10 + (1 - a) * 20)
