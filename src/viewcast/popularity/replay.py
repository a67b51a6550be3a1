"""Replay the request stream, in time order, through real cache policies (libCacheSim).

The replayed period is the end of the time-ordered split: the validation period's requests warm
every cache up (identically for every policy, uncounted), the test period's requests are
measured. Objects have unit size and cache sizes are fractions of the catalogue (the items
requested anywhere in the log), at least one item. The stream goes to libCacheSim as an
``oracleGeneral`` trace (written with numpy into a temporary file), so each policy replays in C
at millions of requests per second; the next-access times in that format are what Belady's
clairvoyant policy needs (the ceiling), the other policies ignore them.

A learned policy plugs into the same replay as a :class:`SlotPolicy`: a libCacheSim cache whose
decisions use the model's prediction for the slot being replayed, handed over at every slot
boundary (predictions for slot ``t`` come from slots before ``t`` only). The first one,
:class:`PredictedEviction`, evicts the cached item with the lowest predicted next-slot
popularity, least recently used first among equals.

Small caches and libCacheSim: S3-FIFO's small queue (10 % of the cache) and W-TinyLFU's window
(1 %) round to zero items in small caches, where libCacheSim then misses every request or stops
the process, and W-TinyLFU's SLRU main part stops the process below 6 items. Here S3-FIFO's small
queue gets at least 2 items and W-TinyLFU's window at least 1 (with an LRU main part below 6
items); below 3 and 2 items respectively the policy is reported as not applicable.
"""

from __future__ import annotations

import heapq
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

#: libCacheSim's oracleGeneral record: time, object id, size, next access (virtual time, -1 = never).
ORACLE_RECORD = np.dtype([("time", "<u4"), ("obj", "<u8"), ("size", "<u4"), ("next", "<i8")])
LABELS = {
    "lru": "LRU",
    "lfu": "LFU",
    "arc": "ARC",
    "s3fifo": "S3-FIFO",
    "wtinylfu": "W-TinyLFU",
    "sieve": "SIEVE",
    "belady": "Belady (ceiling)",
    "learned": "learned (predicted popularity)",
}
#: Smallest cache (items) each policy works at in libCacheSim 0.3.5 (see the module docstring).
MINIMUM_ITEMS = {"s3fifo": 3, "wtinylfu": 2}


def _standard_cache(policy: str, items: int, hashpower: int) -> Any:
    import libcachesim as lcs

    if policy == "s3fifo":
        return lcs.S3FIFO(items, hashpower=hashpower, small_size_ratio=max(0.1, 2.0001 / items))
    if policy == "wtinylfu":  # SLRU's segments need 6 items; below, the main part is an LRU
        return lcs.WTinyLFU(
            items, hashpower=hashpower, window_size=max(0.01, 1.0001 / items), main_cache="SLRU" if items >= 6 else "LRU"
        )
    classes = {"lru": lcs.LRU, "lfu": lcs.LFU, "arc": lcs.ARC, "sieve": lcs.Sieve, "belady": lcs.Belady}
    return classes[policy](items, hashpower=hashpower)


def cache_items(fraction: float, catalogue: int) -> int:
    """Cache size in items: a fraction of the catalogue, at least one item."""
    return max(1, int(round(fraction * catalogue)))


@dataclass(frozen=True)
class RequestStream:
    """The replayed requests in time order: item index (object id - 1), slot index, and where measuring starts."""

    item: np.ndarray
    slot: np.ndarray  # non-decreasing
    warmup: int  # the first ``warmup`` requests only warm the caches up

    @property
    def measured(self) -> int:
        return self.item.size - self.warmup


def next_access(item: np.ndarray) -> np.ndarray:
    """Index of each request's next request of the same item (-1 = none): Belady's future knowledge."""
    n = item.size
    order = np.lexsort((np.arange(n), item))
    following = np.full(n, -1, dtype=np.int64)
    same = item[order][1:] == item[order][:-1]
    following[order[:-1][same]] = order[1:][same]
    return following


class Trace:
    """A request stream written as a libCacheSim trace file, removed on :meth:`close`."""

    def __init__(self, stream: RequestStream) -> None:
        import libcachesim as lcs

        self.stream = stream
        self.folder = Path(tempfile.mkdtemp(prefix="viewcast-replay-"))
        try:
            records = np.zeros(stream.item.size, dtype=ORACLE_RECORD)
            records["time"] = np.arange(stream.item.size) + 1  # virtual time; real timestamps need not fit 32 bits
            records["obj"] = stream.item + 1
            records["size"] = 1
            records["next"] = next_access(stream.item)
            path = self.folder / "requests.oracleGeneral.bin"
            records.tofile(path)
            self.reader = lcs.TraceReader(str(path), lcs.TraceType.ORACLE_GENERAL_TRACE)
        except BaseException:
            self.close()
            raise
        self.hashpower = int(min(24, max(10, math.ceil(math.log2(max(stream.item.max(initial=0) + 2, 2))) + 1)))

    def replay(self, cache: Any, start: int, count: int) -> int:
        """Hits of ``cache`` on requests ``start .. start+count-1`` (the cache keeps its content between calls)."""
        if count <= 0:
            return 0
        miss_ratio, _ = cache.process_trace(self.reader, start, count)
        return int(round(count * (1.0 - miss_ratio)))

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Trace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _row(policy: str, fraction: float, items: int, hits: int | None, stream: RequestStream, seconds: float) -> dict[str, Any]:
    replayed = stream.item.size
    return {
        "policy": policy,
        "label": LABELS[policy],
        "size_fraction": fraction,
        "size_items": items,
        "hits": hits,
        "requests": stream.measured,
        "hit_ratio": None if hits is None else hits / max(stream.measured, 1),
        "seconds": round(seconds, 4),
        "requests_per_second": None if hits is None or seconds <= 0 else round(replayed / seconds),
    }


def replay_policies(trace: Trace, policies: Sequence[str], fractions: Sequence[float], catalogue: int) -> list[dict[str, Any]]:
    """Hit ratio of each standard policy at each cache size over the measured requests."""
    stream, rows = trace.stream, []
    for policy in policies:
        for fraction in fractions:
            items = cache_items(fraction, catalogue)
            if items < MINIMUM_ITEMS.get(policy, 1):
                rows.append(_row(policy, fraction, items, None, stream, 0.0))
                continue
            cache = _standard_cache(policy, items, trace.hashpower)
            started = time.perf_counter()
            trace.replay(cache, 0, stream.warmup)
            hits = trace.replay(cache, stream.warmup, stream.measured)
            rows.append(_row(policy, fraction, items, hits, stream, time.perf_counter() - started))
    return rows


class SlotPolicy(Protocol):
    """A cache whose decisions use a per-slot prediction: how a learned policy joins the replay.

    ``cache`` is a libCacheSim cache (usually a ``PluginCache``); ``start_slot`` receives, before
    each slot's requests are replayed, one score per item index (higher = more popular next;
    ``-inf`` for items the model cannot score yet).
    """

    cache: Any

    def start_slot(self, scores: list[float]) -> None: ...


class PredictedEviction:
    """Evict the cached item with the lowest predicted popularity for this slot; ties: least recently used.

    A heap of (score, last use, object) finds the victim in O(log n); entries go stale when an
    item is used again (lazy deletion) and the heap is rebuilt once per slot, when the scores change.
    """

    name = "learned"

    def __init__(self, items: int, hashpower: int) -> None:
        import libcachesim as lcs

        self.score: list[float] = []
        self.last_use: dict[int, int] = {}
        self.heap: list[tuple[float, int, int]] = []
        self.tick = 0
        self.stale = True
        self.cache = lcs.PluginCache(
            items,
            cache_init_hook=lambda params: self,
            cache_hit_hook=self._use,
            cache_miss_hook=self._use,
            cache_eviction_hook=self._evict,
            cache_remove_hook=self._remove,
            cache_free_hook=lambda data: None,
            cache_name="learned",
            hashpower=hashpower,
        )

    def start_slot(self, scores: list[float]) -> None:
        self.score = scores
        self.stale = True

    def _score(self, obj: int) -> float:
        index = obj - 1
        return self.score[index] if 0 <= index < len(self.score) else -math.inf

    def _use(self, data: Any, request: Any) -> None:
        obj = request.obj_id
        self.tick += 1
        self.last_use[obj] = self.tick
        if not self.stale:
            heapq.heappush(self.heap, (self._score(obj), self.tick, obj))

    def _evict(self, data: Any, request: Any) -> int:
        if self.stale:
            self.heap = [(self._score(obj), tick, obj) for obj, tick in self.last_use.items()]
            heapq.heapify(self.heap)
            self.stale = False
        while True:
            _, tick, obj = heapq.heappop(self.heap)
            if self.last_use.get(obj) == tick:
                del self.last_use[obj]
                return obj

    def _remove(self, data: Any, obj: int) -> None:
        self.last_use.pop(obj, None)


#: Learned policies by name: ``(cache items, hashpower) -> SlotPolicy``.
LEARNED_POLICIES: dict[str, Callable[[int, int], SlotPolicy]] = {"learned": PredictedEviction}


class SlotReplay:
    """Replays a trace slot by slot through one score-driven cache per size."""

    def __init__(self, trace: Trace, fractions: Sequence[float], catalogue: int, policy: str = "learned") -> None:
        self.trace, self.policy, self.fractions = trace, policy, list(fractions)
        self.items = [cache_items(f, catalogue) for f in self.fractions]
        self.caches = [LEARNED_POLICIES[policy](items, trace.hashpower) for items in self.items]
        self.hits = [0] * len(self.caches)
        self.seconds = [0.0] * len(self.caches)
        slots = trace.stream.slot
        self._starts = lambda slot: (int(np.searchsorted(slots, slot, "left")), int(np.searchsorted(slots, slot, "right")))

    def slot(self, slot: int, scores: np.ndarray) -> None:
        """Replay slot ``slot``'s requests with the given per-item scores."""
        start, end = self._starts(slot)
        if end == start:
            return
        values = scores.tolist()
        warmup = self.trace.stream.warmup
        for i, policy in enumerate(self.caches):
            policy.start_slot(values)
            started = time.perf_counter()
            hits = self.trace.replay(policy.cache, start, end - start)
            self.seconds[i] += time.perf_counter() - started
            if start >= warmup:  # periods are whole slots: a slot is warm-up or measured
                self.hits[i] += hits

    def rows(self) -> list[dict[str, Any]]:
        stream = self.trace.stream
        return [
            _row(self.policy, fraction, items, hits, stream, seconds)
            for fraction, items, hits, seconds in zip(self.fractions, self.items, self.hits, self.seconds)
        ]
