"""Error and cache metrics over test slots, for the model, the baselines and the oracle.

* ``rmse`` / ``mae``: error of the predicted normalised count (share) over every cell of the test
  slots: each candidate, plus each movie first requested in that slot (which no predictor can
  know, so it counts as predicted 0 for all of them alike).
* ``hit@K``: the share of the test slots' requests that fall on the K candidates predicted most
  popular, i.e. what a cache holding those K items would serve (requests summed over slots, so a
  busy slot weighs more, as it does for a cache). The oracle caches the true top K.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from viewcast.popularity.panel import SlotBatch

KS = (10, 50, 100)
METRICS = ("rmse", "mae") + tuple(f"hit@{k}" for k in KS)
BASELINES = ("last", "moving_average", "lfu", "recency", "lfu_decayed")
REQUIRED_BASELINES = BASELINES[:4]  # the issue's; lfu_decayed (half-life 16 slots) is an extra, stronger one


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores (ties: lower index first, so results are reproducible)."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:k]


class MetricAccumulator:
    """Sums over slots, so metrics need no per-slot arrays kept in memory."""

    def __init__(self) -> None:
        self.squared = self.absolute = self.cells = self.requests = 0.0
        self.hits = {k: 0.0 for k in KS}

    def add(self, batch: SlotBatch, shares: np.ndarray, scores: np.ndarray | None = None) -> None:
        """One slot's predicted shares (and ranking scores, if they differ from the shares)."""
        error = np.asarray(shares, dtype=np.float64) - batch.share
        unseen = batch.new_counts / batch.total
        self.squared += float((error**2).sum() + (unseen**2).sum())
        self.absolute += float(np.abs(error).sum() + unseen.sum())
        self.cells += error.size + unseen.size
        ranking = shares if scores is None else scores
        order = top_k(ranking, max(KS))
        for k in KS:
            self.hits[k] += float(batch.count[order[:k]].sum())
        self.requests += batch.total

    def add_oracle(self, batch: SlotBatch) -> None:
        """The true shares, and a cache of the true top K (including movies new in this slot)."""
        every = np.sort(np.concatenate([batch.count, batch.new_counts]))[::-1]
        self.cells += every.size
        for k in KS:
            self.hits[k] += float(every[:k].sum())
        self.requests += batch.total

    def result(self) -> dict[str, float]:
        cells, requests = max(self.cells, 1.0), max(self.requests, 1.0)
        out = {"rmse": float(np.sqrt(self.squared / cells)), "mae": self.absolute / cells}
        out.update({f"hit@{k}": self.hits[k] / requests for k in KS})
        return out


def normalise(values: np.ndarray) -> np.ndarray:
    """Non-negative scores -> shares summing to 1 (uniform when all are zero)."""
    values = np.clip(np.asarray(values, dtype=np.float64), 0, None)
    total = values.sum()
    return values / total if total > 0 else np.full(values.shape, 1.0 / max(values.size, 1))


def baseline_metrics(batches: Iterable[SlotBatch]) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Metrics of every baseline and of the oracle over the given slots."""
    accumulators = {name: MetricAccumulator() for name in BASELINES}
    oracle = MetricAccumulator()
    for batch in batches:
        for name, acc in accumulators.items():
            rank, share = batch.baselines[name]
            acc.add(batch, normalise(share), rank)
        oracle.add_oracle(batch)
    return {name: acc.result() for name, acc in accumulators.items()}, oracle.result()
