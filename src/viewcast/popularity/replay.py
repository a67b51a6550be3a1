"""Replay the request stream, in time order, through real cache policies (libCacheSim).

The replayed period is the end of the time-ordered split: the validation period's requests warm
every cache up (identically for every policy, uncounted), the test period's requests are
measured. Objects have unit size and cache sizes are fractions of the catalogue (the items
requested anywhere in the log), at least one item. The stream goes to libCacheSim as an
``oracleGeneral`` trace (written with numpy into a temporary file), so each policy replays in C
at millions of requests per second; the next-access times in that format are what Belady's
clairvoyant policy needs, the other policies ignore them. libCacheSim's Belady always admits
the missed object, so it is no ceiling for a policy that may refuse admission (the learned one
does); :func:`belady_bypass_hits` is the offline optimum with bypass, the true ceiling.

The learned policy replays the same stream with the same warm-up in
:mod:`viewcast.popularity.learned_policy`.

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    "belady": "Belady (libCacheSim; always admits)",
    "belady_bypass": "Belady with bypass (ceiling)",
    "learned": "learned (predicted popularity)",
    "decayed_score": "decayed-count score (same cache, not learned)",
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


def result_row(
    policy: str, fraction: float, items: int, hits: int | None, stream: RequestStream, seconds: float
) -> dict[str, Any]:
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
                rows.append(result_row(policy, fraction, items, None, stream, 0.0))
                continue
            if policy == "belady_bypass":
                started = time.perf_counter()
                hits = belady_bypass_hits(stream, items)
                rows.append(result_row(policy, fraction, items, hits, stream, time.perf_counter() - started))
                continue
            cache = _standard_cache(policy, items, trace.hashpower)
            started = time.perf_counter()
            trace.replay(cache, 0, stream.warmup)
            hits = trace.replay(cache, stream.warmup, stream.measured)
            rows.append(result_row(policy, fraction, items, hits, stream, time.perf_counter() - started))
    return rows


def belady_bypass_hits(stream: RequestStream, items: int) -> int:
    """Hits of the offline optimum for a cache that may refuse admission, over the measured requests.

    On a miss with a full cache, the object requested farthest in the future leaves — possibly
    the missed one itself, which is then not admitted. libCacheSim's Belady always admits, so a
    policy with admission control (the learned one) can beat it on tiny caches; this cannot be beaten.
    """
    following = next_access(stream.item)
    never = np.iinfo(np.int64).max
    following[following < 0] = never
    cached: dict[int, int] = {}  # item -> its next request
    heap: list[tuple[int, int]] = []  # (-next request, item), lazily deleted
    hits = 0
    for r, (x, nxt) in enumerate(zip(stream.item.tolist(), following.tolist())):
        if x in cached:
            hits += r >= stream.warmup
            if nxt == never:
                del cached[x]
            else:
                cached[x] = nxt
                heapq.heappush(heap, (-nxt, x))
            continue
        if nxt == never:
            continue  # never requested again: keeping it cannot help
        if len(cached) >= items:
            while cached.get(heap[0][1]) != -heap[0][0]:
                heapq.heappop(heap)
            if nxt > -heap[0][0]:
                continue  # the missed object is the one needed farthest ahead: bypass
            del cached[heapq.heappop(heap)[1]]
        cached[x] = nxt
        heapq.heappush(heap, (-nxt, x))
    return hits
