"""Scoring every candidate of every slot, and the error and cache metrics over those slots.

* ``rmse`` / ``mae``: error of the predicted normalised count (share) over every cell of the
  evaluated slots: each candidate, plus each item first requested in that slot (which no
  predictor can know, so it counts as predicted 0 for all of them alike).
* ``hit@K``: the share of the slots' requests that fall on the K candidates predicted most
  popular, i.e. what a cache holding those K items would serve (requests summed over slots, so a
  busy slot weighs more, as it does for a cache). The oracle caches the true top K.

Everything works a block of slots at a time on dense (slots, items) arrays (see
:mod:`viewcast.popularity.features`): the slots are streamed, never held in memory together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from viewcast.popularity.config import Loss, Windows
from viewcast.popularity.features import BASELINES, Block, FeatureState, LogPass, SlotLog
from viewcast.popularity.network import PopularityNet

KS = (10, 50, 100)
METRICS = ("rmse", "mae") + tuple(f"hit@{k}" for k in KS)
REQUIRED_BASELINES = BASELINES[:4]  # the issue's; lfu_decayed (half-life 16 slots) is an extra, stronger one
SELECTION_METRIC = "hit@50"
#: Candidates per test slot written to predictions: the model's top ones, plus every requested one.
PREDICTIONS_TOP = 100


def top_k_mask(scores: np.ndarray, k: int) -> np.ndarray:
    """(R, items) mask of each row's ``k`` highest scores; ties go to the lower item index.

    Items are numbered by first request, so a tie goes to the item known longest. Non-candidates
    should score ``-inf`` (and be masked out by the caller: a row with fewer than ``k``
    candidates picks some of them too).
    """
    rows, items = scores.shape
    if items <= k:
        return np.ones_like(scores, dtype=bool)
    kth = np.partition(scores, items - k, axis=1)[:, items - k][:, None]
    above = scores > kth
    ties = scores == kth
    need = k - above.sum(axis=1, keepdims=True)
    return above | (ties & (np.cumsum(ties, axis=1) <= need))


def normalise(values: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Non-negative scores -> shares over each row's candidates (uniform when all are zero)."""
    values = np.where(candidates, np.clip(values, 0, None), 0.0)
    total = values.sum(axis=1, keepdims=True)
    n = np.maximum(candidates.sum(axis=1, keepdims=True), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, values / total, np.where(candidates, 1.0 / n, 0.0))


def predicted_shares(scores: np.ndarray, candidates: np.ndarray, loss: Loss) -> np.ndarray:
    """Model scores -> shares over each row's candidates that sum to 1."""
    if loss == "cross_entropy":
        masked = np.where(candidates, scores, -np.inf)
        peak = masked.max(axis=1, keepdims=True)
        weights = np.where(candidates, np.exp(masked - np.where(np.isfinite(peak), peak, 0.0)), 0.0)
        return normalise(weights, candidates)
    return normalise(np.expm1(np.clip(scores, 0, 60)), candidates)  # regression predicts log1p(relative share)


class Metrics:
    """Sums over slots, so that metrics need no per-slot arrays kept in memory."""

    def __init__(self) -> None:
        self.squared = self.absolute = self.cells = self.requests = 0.0
        self.hits = {k: 0.0 for k in KS}

    def add(self, counts: np.ndarray, totals: np.ndarray, candidates: np.ndarray, shares: np.ndarray, scores: np.ndarray) -> None:
        """Rows of slots: requests (R, items), predicted shares and ranking scores (R, items)."""
        actual = counts / totals[:, None]
        error = np.where(candidates, shares - actual, 0.0)
        unseen = np.where(candidates, 0.0, actual)
        self.squared += float((error**2).sum() + (unseen**2).sum())
        self.absolute += float(np.abs(error).sum() + unseen.sum())
        self.cells += float(candidates.sum() + ((counts > 0) & ~candidates).sum())
        ranking = np.where(candidates, scores, -np.inf)
        for k in KS:  # a cache holds candidates only: items new in the slot are always misses
            self.hits[k] += float((counts * (top_k_mask(ranking, k) & candidates)).sum())
        self.requests += float(totals.sum())

    def add_oracle(self, counts: np.ndarray, totals: np.ndarray, candidates: np.ndarray) -> None:
        """The true shares, and a cache of the true top K (including items new in the slot)."""
        self.cells += float(candidates.sum() + ((counts > 0) & ~candidates).sum())
        for k in KS:
            self.hits[k] += float((counts * top_k_mask(counts, k)).sum())
        self.requests += float(totals.sum())

    def result(self) -> dict[str, float]:
        cells, requests = max(self.cells, 1.0), max(self.requests, 1.0)
        out = {"rmse": float(np.sqrt(self.squared / cells)), "mae": self.absolute / cells}
        out.update({f"hit@{k}": self.hits[k] / requests for k in KS})
        return out


@dataclass
class ScoredRows:
    """The scored slots of one block: rows of the block, their candidates, the model's view."""

    block: Block
    rows: np.ndarray  # (R,) block rows (slot index = block.a + row)
    candidates: np.ndarray  # (R, items)
    scores: np.ndarray  # (R, items) model scores, -inf for non-candidates
    shares: np.ndarray  # (R, items) predicted shares over the candidates

    @property
    def slots(self) -> np.ndarray:
        return self.block.a + self.rows

    @property
    def counts(self) -> np.ndarray:
        return self.block.counts[self.rows]

    @property
    def totals(self) -> np.ndarray:
        return self.block.totals[self.rows]

    def subset(self, mask: np.ndarray) -> ScoredRows:
        """The same block's scores for some of the rows."""
        return ScoredRows(self.block, self.rows[mask], self.candidates[mask], self.scores[mask], self.shares[mask])

    @cached_property
    def baselines(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return self.block.baselines(self.rows)


def score_rows(net: PopularityNet, loss: Loss, windows: Windows, block: Block, rows: np.ndarray) -> ScoredRows:
    """Score every candidate of the given rows (each distinct input window runs through the network once)."""
    candidates = block.candidates(rows)
    cell_row, cell_item = np.nonzero(candidates)
    scores = np.full(candidates.shape, -np.inf)
    if cell_row.size:
        distinct, window_of = block.encoded_windows(rows[cell_row], cell_item, windows)
        static = block.static(rows[cell_row], cell_item)
        values = net.score_all(torch.from_numpy(distinct), torch.from_numpy(window_of), torch.from_numpy(static))
        scores[cell_row, cell_item] = values.numpy()
    return ScoredRows(block, rows, candidates, scores, predicted_shares(scores, candidates, loss))


def scored_blocks(
    net: PopularityNet, loss: Loss, windows: Windows, log: SlotLog, state: FeatureState, stop: int, wanted: np.ndarray
) -> Iterator[ScoredRows]:
    """The scored rows of every wanted slot index in ``[state.t, stop)``, block by block."""
    wanted_mask = np.zeros(log.n_slots + 1, dtype=bool)
    wanted_mask[wanted] = True
    for block in LogPass(log, state, stop):
        rows = np.flatnonzero(wanted_mask[block.a : block.a + block.n_rows])
        if rows.size:
            yield score_rows(net, loss, windows, block, rows)


def hit_ratio(
    net: PopularityNet, loss: Loss, windows: Windows, log: SlotLog, state: FeatureState, stop: int, wanted: np.ndarray
) -> float:
    """The selection metric (hit@50) of the model over the wanted slots, streamed."""
    metrics = Metrics()
    for scored in scored_blocks(net, loss, windows, log, state, stop, wanted):
        metrics.add(scored.counts, scored.totals, scored.candidates, scored.shares, scored.scores)
    return metrics.result()[SELECTION_METRIC]


class Evaluation:
    """Model, baseline and oracle metrics over one period's slots, fed one scored block at a time."""

    def __init__(self) -> None:
        self.model = Metrics()
        self.baselines = {name: Metrics() for name in BASELINES}
        self.oracle = Metrics()

    def add(self, scored: ScoredRows) -> None:
        counts, totals, candidates = scored.counts, scored.totals, scored.candidates
        self.model.add(counts, totals, candidates, scored.shares, scored.scores)
        for name, (rank, share) in scored.baselines.items():
            self.baselines[name].add(counts, totals, candidates, normalise(share, candidates), rank)
        self.oracle.add_oracle(counts, totals, candidates)

    def result(self) -> dict[str, object]:
        return {
            "model": self.model.result(),
            "baselines": {name: acc.result() for name, acc in self.baselines.items()},
            "oracle": self.oracle.result(),
        }


def prediction_rows(scored: ScoredRows, items: np.ndarray, origin: int) -> dict[str, np.ndarray]:
    """Per slot: the model's top candidates and every requested candidate, with the baselines' shares."""
    counts = scored.counts
    keep = scored.candidates & (top_k_mask(scored.scores, PREDICTIONS_TOP) | (counts > 0))
    row, item = np.nonzero(keep)
    columns = {
        "slot": (origin + scored.slots)[row],
        "movieId": items[item],
        "count": counts[row, item].astype(np.int64),
        "share": (counts / scored.totals[:, None])[row, item].astype(np.float32),  # float32: half the memory at scale
        "predicted": scored.shares[row, item].astype(np.float32),
    }
    for name, (_, share) in scored.baselines.items():
        columns[f"baseline_{name}"] = normalise(share, scored.candidates)[row, item].astype(np.float32)
    return columns
