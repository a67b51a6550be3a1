"""The learned cache: next-slot popularity drives admission *and* eviction (issue 12).

Every cached item, and every item that asks to come in, has one key::

    key_i = mu_i(t) + beta * n_i(t)

``mu_i(t)`` is the expected number of requests of item ``i`` in the slot ``t`` being replayed,
predicted from slots before ``t`` only (the model's share of the slot x the moving average of past
slot totals, handed over at each slot boundary); ``n_i(t)`` counts ``i``'s requests so far in slot
``t`` — evidence from inside the slot that no model fed with earlier slots can have. On a miss
with a full cache the victim is the cached item with the smallest key (least recently used first
among equals), and the missed item comes in only if its key is at least the victim's: one-off
requests (most of a MovieLens session) do not push popular items out. Optionally an LRU window of
``window`` x the cache takes every miss first and its victim then competes for the main part, as
in W-TinyLFU.

Why this works where a per-slot top-K did not: when requests are draws from slowly drifting
popularity, the best online cache holds the items with the highest current rate, which needs an
estimate kept for items *outside* the cache (in-cache LFU, ARC and SIEVE forget an evicted item)
and admission control. A popularity forecast is exactly such an estimate. Why admission and
eviction rather than prefetching the top items at each slot boundary: objects enter only on a
demand miss, as in every other policy, so hit ratios compare like with like; prefetching was tried
in the research behind this (/work/exp12) and changed hit ratios by -0.6 to +0.4 points while
costing extra origin fetches that no demand policy pays.

``beta`` and ``window`` are chosen per cache size on the validation period (its first half warms
the caches up, its second half is counted); the test period's hits of the chosen setting are what
is reported. Every setting replays the same requests from the same start, so choosing one on
validation hits uses nothing from the test period. The same cache driven by a *non-learned* score
(the decayed count, half-life 16 slots, as requests per slot) is replayed alongside: the
mechanism alone, so the report can say how much the model adds.

The replay is an exact request-by-request Python loop (libCacheSim's ``PluginCache`` cannot refuse
admission); with every key equal and no window it is LRU, hit for hit (tested against
libCacheSim's LRU).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.signal import lfilter

from viewcast.popularity.config import LEARNED_BETAS, LEARNED_WINDOWS
from viewcast.popularity.replay import RequestStream, cache_items, result_row

#: Half-life (busy slots) of the moving average of slot totals that turns shares into expected requests.
TOTAL_HALF_LIFE = 4
#: What drives the cache: the model's prediction, or the non-learned decayed count (the ablation).
SCORES = ("learned", "decayed_score")


@dataclass(frozen=True)
class Setting:
    """How much within-slot counts weigh against the prediction, and the LRU window's share of the cache."""

    beta: float
    window: float


def expected_totals(totals: np.ndarray) -> np.ndarray:
    """Per slot, the moving average of the busy slots' totals *before* it (1 before the first busy slot).

    Exponential, half-life :data:`TOTAL_HALF_LIFE` busy slots, started at the first total; computed
    as one linear filter over the busy slots, not a loop.
    """
    out = np.ones(totals.size)
    busy = np.flatnonzero(totals > 0)
    if busy.size:
        a = 0.5 ** (1.0 / TOTAL_HALF_LIFE)
        values = totals[busy].astype(np.float64)
        ema, _ = lfilter([1.0 - a], [1.0, -a], values, zi=[a * values[0]])
        before = np.searchsorted(busy, np.arange(totals.size), side="left")  # busy slots strictly before each slot
        has = before > 0
        out[has] = ema[before[has] - 1]
    return out


class ScoredCache:
    """A cache of ``items`` unit objects whose admission and eviction follow ``mu + beta * n``.

    Main part: a min-heap of (key, last touch, item) with lazy deletion (an item's valid entry is
    the one whose touch stamp it holds); rebuilt at each slot boundary, when the keys change.
    """

    def __init__(self, items: int, n_items: int, setting: Setting) -> None:
        self.beta = setting.beta
        window = 0 if setting.window <= 0 else max(1, int(round(setting.window * items)))
        self.window_size, self.main_size = min(window, items), items - min(window, items)
        self.window: OrderedDict[int, None] = OrderedDict()
        self.in_main = bytearray(n_items)
        self.stamp = [0] * n_items
        self.members: set[int] = set()
        self.heap: list[tuple[float, int, int]] = []
        self.count = [0] * n_items
        self.touched: list[int] = []
        self.mu: list[float] = [0.0] * n_items
        self.clock = 0

    def start_slot(self, mu: list[float]) -> None:
        """New predictions: within-slot counts restart at zero and the heap is rebuilt with the new keys."""
        self.mu = mu
        for i in self.touched:
            self.count[i] = 0
        self.touched = []
        self.heap = [(mu[i], self.stamp[i], i) for i in self.members]
        heapq.heapify(self.heap)

    def replay(self, requests: list[int]) -> int:
        """Serve the requests in order; the number of hits."""
        mu, beta, count, touched, stamp, heap = self.mu, self.beta, self.count, self.touched, self.stamp, self.heap
        in_main, members, window, window_size, main_size = (
            self.in_main,
            self.members,
            self.window,
            self.window_size,
            self.main_size,
        )
        hits, clock = 0, self.clock
        for x in requests:
            clock += 1
            if count[x] == 0:
                touched.append(x)
            count[x] += 1
            if in_main[x]:
                hits += 1
                stamp[x] = clock
                heapq.heappush(heap, (mu[x] + beta * count[x], clock, x))
                continue
            if window_size:
                if x in window:
                    window.move_to_end(x)
                    hits += 1
                    continue
                window[x] = None
                if len(window) <= window_size:
                    continue
                x, _ = window.popitem(last=False)  # the window's victim competes for the main part
            if main_size == 0:
                continue
            key = mu[x] + beta * count[x]
            if len(members) >= main_size:
                while True:  # drop stale entries
                    victim_key, victim_stamp, victim = heap[0]
                    if in_main[victim] and stamp[victim] == victim_stamp:
                        break
                    heapq.heappop(heap)
                if key < victim_key:
                    continue  # not admitted
                heapq.heappop(heap)
                in_main[victim] = 0
                members.discard(victim)
            in_main[x] = 1
            members.add(x)
            stamp[x] = clock
            heapq.heappush(heap, (key, clock, x))
        self.clock = clock
        return hits


class LearnedReplay:
    """Every (score, size, setting) cache, fed slot by slot; per score and size, the setting is chosen on validation."""

    def __init__(
        self,
        stream: RequestStream,
        fractions: Sequence[float],
        catalogue: int,
        betas: Sequence[float] = LEARNED_BETAS,
        windows: Sequence[float] = LEARNED_WINDOWS,
        scores: Sequence[str] = SCORES,
    ) -> None:
        self.stream, self.fractions, self.scores = stream, list(fractions), list(scores)
        self.items = [cache_items(f, catalogue) for f in self.fractions]
        self.settings = [Setting(b, w) for w, b in itertools.product(windows, betas)]  # simplest first: ties keep it
        self.caches = {
            (score, size, setting): ScoredCache(size, catalogue, setting)
            for score in self.scores
            for size in dict.fromkeys(self.items)
            for setting in self.settings
        }
        self.tuning = {key: 0 for key in self.caches}
        self.test = {key: 0 for key in self.caches}
        self.seconds = {key: 0.0 for key in self.caches}
        # validation's first half warms up, its second half chooses the setting
        middle = stream.slot[stream.warmup // 2] if stream.warmup else 0
        self.tune_from = int(np.searchsorted(stream.slot, middle, side="left"))
        self.tune_requests = stream.warmup - self.tune_from
        self.done = 0

    def slot(self, slot: int, mu: Mapping[str, np.ndarray]) -> None:
        """Replay slot ``slot``'s requests with each score's expected requests per item (from earlier slots only)."""
        slots = self.stream.slot
        start, end = int(np.searchsorted(slots, slot, "left")), int(np.searchsorted(slots, slot, "right"))
        if start > self.done:  # slots nobody scored (no candidates yet): keep the previous predictions
            self._replay(self.done, start)
        if end <= start:
            return
        values = {score: mu[score].tolist() for score in self.scores}
        for (score, _, _), cache in self.caches.items():
            cache.start_slot(values[score])
        self._replay(start, end)

    def _replay(self, start: int, end: int) -> None:
        for cut in (self.tune_from, self.stream.warmup):  # a run of requests counts for one period only
            if start < cut < end:
                self._replay(start, cut)
                start = cut
        if start >= self.stream.warmup and len(self.caches) > len(self.chosen()):
            self.caches = {key: self.caches[key] for key in self.chosen()}  # the test period needs the chosen ones only
        requests = self.stream.item[start:end].tolist()
        target = self.test if start >= self.stream.warmup else self.tuning if start >= self.tune_from else None
        for key, cache in self.caches.items():
            started = time.perf_counter()
            hits = cache.replay(requests)
            self.seconds[key] += time.perf_counter() - started
            if target is not None:
                target[key] += hits
        self.done = end

    def finish(self) -> None:
        """Replay whatever follows the last scored slot (with the last predictions)."""
        if self.done < self.stream.item.size:
            self._replay(self.done, self.stream.item.size)

    def chosen(self) -> list[tuple[str, int, Setting]]:
        """Per score and size, the setting with the most validation hits (the simplest among equals)."""
        return [
            (score, size, max(self.settings, key=lambda s: (self.tuning[score, size, s], -self.settings.index(s))))
            for score in self.scores
            for size in dict.fromkeys(self.items)
        ]

    def rows(self) -> list[dict[str, Any]]:
        """Per score and size, the chosen setting and its test hits."""
        self.finish()
        chosen = {(score, size): (score, size, setting) for score, size, setting in self.chosen()}
        rows = []
        for score in self.scores:
            for fraction, size in zip(self.fractions, self.items):
                key = chosen[score, size]
                best = key[2]
                row = result_row(score, fraction, size, self.test[key], self.stream, self.seconds[key])
                row.update(
                    beta=best.beta,
                    window=best.window,
                    validation_hit_ratio=self.tuning[key] / max(self.tune_requests, 1),
                    settings_tried=len(self.settings),
                )
                rows.append(row)
        return rows


def decayed_rate(decayed: np.ndarray, half_life: float) -> np.ndarray:
    """A decayed count (sum of d^k x requests k+1 slots back) as requests per slot: x (1 - d)."""
    return decayed * (1.0 - 0.5 ** (1.0 / half_life))


#: The non-learning policies the learned cache is judged against (the ceilings excluded).
NON_LEARNING = ("lru", "lfu", "arc", "s3fifo", "wtinylfu", "sieve")


def against_best(rows: Sequence[Mapping[str, Any]], policy: str = "learned") -> list[dict[str, Any]]:
    """Per cache size: the best non-learning policy, its hit ratio, ``policy``'s, and the margin."""
    verdict = []
    for fraction in sorted({row["size_fraction"] for row in rows}):
        at_size = [row for row in rows if row["size_fraction"] == fraction and row["hit_ratio"] is not None]
        ours = next((row["hit_ratio"] for row in at_size if row["policy"] == policy), None)
        others = [row for row in at_size if row["policy"] in NON_LEARNING]
        if ours is None or not others:
            continue
        best = max(others, key=lambda row: row["hit_ratio"])
        verdict.append(
            {
                "size_fraction": fraction,
                "best_policy": best["policy"],
                "best_hit_ratio": best["hit_ratio"],
                "hit_ratio": ours,
                "margin": ours - best["hit_ratio"],
                "at_or_above": ours >= best["hit_ratio"],
            }
        )
    return verdict
