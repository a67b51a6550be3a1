"""Replay through libCacheSim: the trace, warm-up, the standard policies against references, the learned policy."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from viewcast.popularity.replay import (
    MINIMUM_ITEMS,
    PredictedEviction,
    RequestStream,
    SlotReplay,
    Trace,
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


def replay_learned(stream: RequestStream, scores_of_slot, sizes=(0.05, 0.2)) -> list[dict]:
    with Trace(stream) as trace:
        replay = SlotReplay(trace, sizes, catalogue=200)
        for slot in np.unique(stream.slot):
            replay.slot(int(slot), scores_of_slot(int(slot)))
        return replay.rows()


def test_the_learned_policy_with_equal_scores_is_exactly_lru():
    stream = zipf_stream()
    rows = replay_learned(stream, lambda slot: np.zeros(200))
    for row in rows:
        assert row["policy"] == "learned" and row["hits"] == reference_lru(stream.item, row["size_items"], stream.warmup)


def test_the_learned_policy_follows_its_scores():
    stream = zipf_stream(seed=4)
    future = np.zeros((31, 200))
    np.add.at(future, (stream.slot, stream.item), 1.0)  # requests per slot and item: a perfect next-slot prediction
    informed = replay_learned(stream, lambda slot: future[slot] + 1e-3 * np.bincount(stream.item, minlength=200))
    inverted = replay_learned(stream, lambda slot: -future[slot])
    for good, bad in zip(informed, inverted):
        assert good["hits"] > reference_lru(stream.item, good["size_items"], stream.warmup) > bad["hits"]


def test_eviction_picks_the_lowest_score_then_the_least_recently_used():
    policy = PredictedEviction(items=3, hashpower=10)
    policy.start_slot([5.0, 1.0, 1.0, 9.0])  # objects 1..4
    for obj in (1, 2, 3):
        policy._use(None, type("R", (), {"obj_id": obj})())
    assert policy._evict(None, None) == 2  # score 1, used before object 3
    policy.start_slot([0.5, 9.0, 9.0, 9.0])
    assert policy._evict(None, None) == 1
