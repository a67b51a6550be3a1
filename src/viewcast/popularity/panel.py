"""Per-slot candidate features for every movie seen so far, built in one chronological pass.

A cache must score every candidate in every slot, so evaluation (and training) works slot by slot:
at slot ``t`` the candidates are all movies requested before ``t``, and everything they are
described by comes from slots ``< t`` (the pass emits slot ``t`` *before* adding its requests to
the state, so no target can leak into its inputs). Memory stays O(window x movies): the pass keeps
running state (cumulative counts, first/last request, a ring of the last ``window`` slots, each
movie's last ``window`` request records) instead of a dense slots x movies matrix.

Features were chosen to generalise across request logs of any size and across time: raw counts
grow with the platform and raw shares shrink with the catalogue, so a network fed them learns the
era it was trained in (tried: on MovieLens it then lost to LFU). Every feature is relative:

* sequence, per step: relative share (share x number of candidates, 1 = an average candidate),
  whether the movie was requested at all, slots back;
* static: relative cumulative share (LFU), relative exponentially decayed counts with half-lives
  of 4, 16 and 64 slots (LFU with ageing: on MovieLens weekly, decayed counts rank next week's
  requests far better than all-time counts or decayed *shares*, because popular movies are rated
  in the bursts that shares dilute), slots since the last request (recency), and age as the
  fraction of the log's elapsed slots since the movie's first request.

``slots`` windows step over consecutive slots; ``records`` windows over the movie's last request
records (the study's way), padded with zeros when a movie has fewer records than the window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError

SEQ_CHANNELS = ("relative_share", "requested", "slots_back")
HALF_LIVES = (4, 16, 64)  # slots
DECAYED_LFU_HALF_LIFE = 16  # the extra baseline, and where the network starts
STATIC_CHANNELS = (
    "relative_cumulative_share",
    *(f"relative_decayed_count_{h}" for h in HALF_LIVES),
    "slots_since_last",
    "age_fraction",
)
Windows = Literal["slots", "records"]


@dataclass
class SlotPanel:
    """Request counts in slot-major sparse form over a contiguous range of slot ids."""

    slot_ids: np.ndarray  # (T,) contiguous slot ids first..last
    movie_ids: np.ndarray  # (M,) movieId of each movie index
    indptr: np.ndarray  # (T+1,) entries of slot t are [indptr[t], indptr[t+1])
    movie_index: np.ndarray  # (nnz,) movie index of each entry
    counts: np.ndarray  # (nnz,) request count of each entry

    @classmethod
    def from_counts(cls, frame: pd.DataFrame) -> SlotPanel:
        """From a frame with columns slot, movieId, count (one row per slot and movie)."""
        missing = {"slot", "movieId", "count"} - set(frame.columns)
        if missing:
            raise DataValidationError(f"prepared counts lack column(s) {', '.join(sorted(missing))}")
        if frame.empty:
            raise DataValidationError("prepared counts are empty")
        frame = frame.sort_values(["slot", "movieId"], kind="stable")
        slot = frame["slot"].to_numpy(np.int64)
        movie_ids, movie_index = np.unique(frame["movieId"].to_numpy(np.int64), return_inverse=True)
        slot_ids = np.arange(slot.min(), slot.max() + 1)
        indptr = np.searchsorted(slot, np.append(slot_ids, slot_ids[-1] + 1))
        return cls(slot_ids, movie_ids, indptr, movie_index.astype(np.int64), frame["count"].to_numpy(np.float64))

    @property
    def totals(self) -> np.ndarray:
        """Requests per slot."""
        entry_slot = np.repeat(np.arange(len(self.slot_ids)), np.diff(self.indptr))
        return np.bincount(entry_slot, weights=self.counts, minlength=len(self.slot_ids))


def split_slots(panel: SlotPanel, val_fraction: float, test_fraction: float) -> dict[str, np.ndarray]:
    """Chronological train/validation/test split of the slots that have requests and candidates."""
    active = np.flatnonzero(panel.totals > 0)[1:]  # the first active slot has no candidates yet
    n = active.size
    n_test, n_val = int(round(n * test_fraction)), int(round(n * val_fraction))
    if n - n_test - n_val < 2 or n_test < 1 or n_val < 1:
        raise DataValidationError(f"only {n} slots with requests: too few for a train/validation/test split; use shorter slots")
    return {
        "train": active[: n - n_val - n_test],
        "validation": active[n - n_val - n_test : n - n_test],
        "test": active[n - n_test :],
    }


def distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of one row per distinct row of ``rows`` (N, ...) and, per row, which one it is.

    Exact (rows compared as bytes); a 1-D sort of byte keys is ~10x faster than
    ``torch.unique(dim=0)``. Most candidates share a window (no requests lately), so keeping and
    encoding each distinct window once saves most memory and time.
    """
    flat = np.ascontiguousarray(rows).reshape(rows.shape[0], -1)
    keys = flat.view(np.dtype((np.void, flat.shape[1] * flat.itemsize))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.ravel()


@dataclass
class SlotBatch:
    """Everything known before slot ``t`` about its candidates, and what happened at ``t``."""

    slot: int  # slot id
    movies: np.ndarray  # (N,) candidate movie indices
    windows: np.ndarray  # (U, window, 3) float32 distinct input windows, see SEQ_CHANNELS
    window_of: np.ndarray  # (N,) index into ``windows`` of each candidate's window
    static: np.ndarray  # (N, 6) float32, see STATIC_CHANNELS
    count: np.ndarray  # (N,) requests of each candidate at t
    total: float  # all requests at t, including movies never seen before
    new_counts: np.ndarray  # requests at t of movies first seen at t (no candidate can predict them)
    baselines: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # name -> (rank score, share)

    @property
    def share(self) -> np.ndarray:
        return self.count / self.total

    @property
    def seq(self) -> np.ndarray:
        """(N, window, 3) input window of every candidate."""
        return self.windows[self.window_of]


def slot_batches(panel: SlotPanel, window: int, windows: Windows, wanted: np.ndarray) -> Iterator[SlotBatch]:
    """Yield a :class:`SlotBatch` for each slot index in ``wanted`` (ascending), in one pass."""
    wanted_mask = np.zeros(len(panel.slot_ids), dtype=bool)
    wanted_mask[np.asarray(wanted, dtype=np.int64)] = True
    history = _History(len(panel.movie_ids), window)
    for t in range(len(panel.slot_ids) if wanted_mask.any() else 0):
        lo, hi = panel.indptr[t], panel.indptr[t + 1]
        idx, cnt = panel.movie_index[lo:hi], panel.counts[lo:hi]
        if wanted_mask[t] and cnt.sum() > 0 and history.has_candidates():
            yield history.batch(int(panel.slot_ids[t]), t, idx, cnt, windows)
        history.add(t, idx, cnt)  # only after slot t was emitted: its requests never describe it


class _History:
    """Running state of the pass: what is known about every movie after the slots added so far."""

    def __init__(self, n_movies: int, window: int) -> None:
        w = window
        self.n_movies, self.window = n_movies, w
        self.cum = np.zeros(n_movies)
        self.decayed = np.zeros((len(HALF_LIVES), n_movies))
        self.decay = 0.5 ** (1.0 / np.asarray(HALF_LIVES, dtype=np.float64))[:, None]
        self.first = np.full(n_movies, -1, dtype=np.int64)
        self.last = np.full(n_movies, -1, dtype=np.int64)
        self.last_share = np.zeros(n_movies)
        self.ring_count = np.zeros((w, n_movies), dtype=np.float32)  # row t % w holds slot t
        self.ring_share = np.zeros((w, n_movies), dtype=np.float32)
        self.rec_count = np.zeros((n_movies, w), dtype=np.float32)  # last w request records, oldest first
        self.rec_share = np.zeros((n_movies, w), dtype=np.float32)
        self.rec_slot = np.full((n_movies, w), -1, dtype=np.int64)

    def has_candidates(self) -> bool:
        return bool((self.first >= 0).any())

    def add(self, t: int, idx: np.ndarray, cnt: np.ndarray) -> None:
        """Record slot ``t``'s requests (movie indices ``idx``, counts ``cnt``)."""
        total = cnt.sum()
        share = cnt / total if total > 0 else cnt
        pos = t % self.window
        self.ring_count[pos] = 0
        self.ring_share[pos] = 0
        self.ring_count[pos, idx] = cnt
        self.ring_share[pos, idx] = share
        self.cum[idx] += cnt
        self.decayed *= self.decay
        self.decayed[:, idx] += cnt
        self.first[idx[self.first[idx] < 0]] = t
        self.last[idx] = t
        self.last_share[idx] = share
        for rec, value in ((self.rec_count, cnt), (self.rec_share, share), (self.rec_slot, t)):
            rec[idx, :-1] = rec[idx, 1:]
            rec[idx, -1] = value

    def batch(self, slot: int, t: int, idx: np.ndarray, cnt: np.ndarray, windows: Windows) -> SlotBatch:
        """Features of every candidate at slot index ``t`` (from the state before ``t``) and its outcome."""
        w, cand = self.window, np.flatnonzero(self.first >= 0)
        n = cand.size
        order = (t + np.arange(w)) % w  # ring rows of slots t-w .. t-1
        slot_count = self.ring_count[order][:, cand].T
        slot_share = self.ring_share[order][:, cand].T
        if windows == "slots":
            seq_count, seq_share = slot_count, slot_share
            seq_back = np.broadcast_to(np.arange(w, 0, -1), (n, w))
        else:
            seq_count, seq_share, rec_slot = self.rec_count[cand], self.rec_share[cand], self.rec_slot[cand]
            seq_back = np.where(rec_slot >= 0, t - rec_slot, (t - self.first[cand] + 1)[:, None])
        seq = np.stack([seq_share * n, seq_count > 0, seq_back], axis=-1).astype(np.float32)
        first_row, window_of = distinct_rows(seq)
        cum = self.cum[cand]
        recent = self.decayed[:, cand].astype(np.float32)
        relative_recent = recent / np.maximum(recent.sum(axis=1, keepdims=True), 1e-30) * n
        age = t - self.first[cand]
        static = np.column_stack([cum / cum.sum() * n, *relative_recent, t - self.last[cand], age / age.max()]).astype(np.float32)
        now = np.zeros(self.n_movies)
        now[idx] = cnt
        last_share = self.last_share[cand]
        recency_rank = self.last[cand] + last_share / (1.0 + last_share)  # LRU, ties by the last share
        last_slot, average = slot_share[:, -1].copy(), slot_share.mean(axis=1)
        decayed_lfu = recent[HALF_LIVES.index(DECAYED_LFU_HALF_LIFE)]
        return SlotBatch(
            slot=slot,
            movies=cand,
            windows=seq[first_row],
            window_of=window_of,
            static=static,
            count=now[cand],
            total=float(cnt.sum()),
            new_counts=cnt[self.first[idx] < 0],
            baselines={
                "last": (last_slot, last_slot),
                "moving_average": (average, average),
                "lfu": (cum, cum),
                "lfu_decayed": (decayed_lfu, decayed_lfu),
                "recency": (recency_rank, last_share),
            },
        )
