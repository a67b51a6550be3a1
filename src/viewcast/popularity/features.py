"""What the models know about every item before a slot, computed a block of slots at a time.

A cache must score every candidate in every slot, so evaluation (and training) needs, for each
slot ``t``, features of every item requested before ``t``, computed from slots ``< t`` only. The
running state after the slots seen so far is a :class:`FeatureState` (O(items x window)); a
:class:`Block` turns the state before slot ``a`` and the counts of slots ``a .. b-1`` into the
state before *every* slot of the block at once, as dense (slots, items) arrays — cumulative sums,
decay as a matrix product, last-request indices as running maxima — so there is no Python loop
per slot: hourly slots over twenty years cost a few thousand numpy steps, not two hundred
thousand. The state after the block is the block's last row; it is also what a saved model keeps
to rank the next slot's items (:mod:`viewcast.popularity.model`).

Features were chosen to generalise across request logs of any size and across time: raw counts
grow with the platform and raw shares shrink with the catalogue, so a network fed them learns the
era it was trained in (tried: on MovieLens it then lost to LFU). Every feature is relative:

* sequence, per step: relative share (share x number of candidates, 1 = an average candidate),
  whether the item was requested at all, slots back;
* static: relative cumulative share (LFU), relative exponentially decayed counts with half-lives
  of 4, 16 and 64 slots (LFU with ageing), slots since the last request (recency), and age as the
  fraction of the log's elapsed slots since the item's first request.

``slots`` windows step over consecutive slots; ``records`` windows over the item's last request
records (the study's way), padded with zeros when an item has fewer records than the window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace

import numpy as np

from viewcast.errors import DataValidationError
from viewcast.popularity.config import Windows

SEQ_CHANNELS = ("relative_share", "requested", "slots_back")
HALF_LIVES = (4, 16, 64)  # slots
DECAYED_LFU_HALF_LIFE = 16  # the extra baseline, and where the network starts
STATIC_CHANNELS = (
    "relative_cumulative_share",
    *(f"relative_decayed_count_{h}" for h in HALF_LIVES),
    "slots_since_last",
    "age_fraction",
)
BASELINES = ("last", "moving_average", "lfu", "recency", "lfu_decayed")
#: Cells (slots x items) per block: bounds the memory a block and its scoring take to about 100 MB.
BLOCK_CELLS = 1 << 18
#: Longest log accepted, in slots (hourly slots over a thousand years).
MAX_SLOTS = 10_000_000
_DECAY = 0.5 ** (1.0 / np.asarray(HALF_LIVES, dtype=np.float64))


@dataclass(frozen=True)
class SlotLog:
    """Request counts per (slot, item), slot-major, over the contiguous slots ``origin ..``.

    Items are numbered in the order of their first request, so the candidates of slot ``t`` (the
    items requested before it) are always the first :meth:`seen_before` items.
    """

    origin: int  # slot id of slot index 0
    items: np.ndarray  # (M,) item id of each item index
    first: np.ndarray  # (M,) slot index of each item's first request (non-decreasing)
    indptr: np.ndarray  # (T+1,) entries of slot t are [indptr[t], indptr[t+1])
    item: np.ndarray  # (nnz,) item index of each entry
    count: np.ndarray  # (nnz,) requests of each entry
    totals: np.ndarray  # (T,) requests per slot

    @classmethod
    def from_entries(cls, slot_ids: np.ndarray, item_ids: np.ndarray, counts: np.ndarray) -> SlotLog:
        """From one row per (slot id, item id) with a positive count (any order)."""
        slot_ids, item_ids = np.asarray(slot_ids, dtype=np.int64), np.asarray(item_ids, dtype=np.int64)
        if slot_ids.size == 0:
            raise DataValidationError("the request log is empty")
        origin, last = int(slot_ids.min()), int(slot_ids.max())
        n_slots = last - origin + 1
        if n_slots > MAX_SLOTS:
            raise DataValidationError(
                f"the log spans {n_slots:,} slots (more than {MAX_SLOTS:,}); use longer slots", param="slot"
            )
        slot_index = (slot_ids - origin).astype(np.int32)
        # np.unique(return_inverse=True) holds five entry-sized int64 arrays at once; this holds two
        ids = np.unique(item_ids)
        inverse = np.searchsorted(ids, item_ids).astype(np.int32)
        first_seen = np.full(ids.size, np.iinfo(np.int32).max, dtype=np.int32)
        np.minimum.at(first_seen, inverse, slot_index)
        by_first = np.lexsort((ids, first_seen))  # item index -> position in ids
        rank = np.empty(ids.size, dtype=np.int32)
        rank[by_first] = np.arange(ids.size, dtype=np.int32)
        item = rank[inverse]
        del inverse
        counts = np.asarray(counts, dtype=np.float64)
        if np.any(np.diff(slot_index) < 0):
            order = np.argsort(slot_index, kind="stable")
            slot_index, item, counts = slot_index[order], item[order], counts[order]
        indptr = np.searchsorted(slot_index, np.arange(n_slots + 1), side="left").astype(np.int64)
        totals = np.bincount(slot_index, weights=counts, minlength=n_slots)
        return cls(origin, ids[by_first], first_seen[by_first].astype(np.int64), indptr, item, counts, totals)

    @property
    def n_slots(self) -> int:
        return self.totals.size

    @property
    def n_items(self) -> int:
        return self.items.size

    def seen_before(self, t: int | np.ndarray) -> int | np.ndarray:
        """Number of items first requested before slot index ``t`` (the candidates of ``t``)."""
        return np.searchsorted(self.first, t, side="left")

    def dense(self, a: int, b: int, columns: int) -> np.ndarray:
        """Counts of slots ``a .. b-1`` as a (b-a, columns) array."""
        lo, hi = self.indptr[a], self.indptr[b]
        out = np.zeros((b - a, columns))
        rows = np.repeat(np.arange(b - a), np.diff(self.indptr[a : b + 1]))
        out[rows, self.item[lo:hi]] = self.count[lo:hi]
        return out

    def active(self) -> np.ndarray:
        """Slot indices worth scoring: with requests, some of them of earlier-seen items."""
        entry_slot = np.repeat(np.arange(self.n_slots), np.diff(self.indptr))
        known = self.first[self.item] < entry_slot
        on_candidates = np.bincount(entry_slot[known], weights=self.count[known], minlength=self.n_slots)
        return np.flatnonzero(on_candidates > 0)


@dataclass
class FeatureState:
    """Everything known about each item before slot index ``t`` (all arrays cover every item)."""

    t: int
    cum: np.ndarray  # (M,) requests so far
    decayed: np.ndarray  # (H, M) exponentially decayed requests, one row per half-life
    first: np.ndarray  # (M,) slot index of the first request, -1 if none yet
    last: np.ndarray  # (M,) slot index of the last request, -1 if none yet
    last_share: np.ndarray  # (M,) share of its slot at the last request
    recent_count: np.ndarray  # (W, M) requests in slots t-W .. t-1
    recent_total: np.ndarray  # (W,) all requests in those slots
    rec_count: np.ndarray  # (M, W) the last W request records, oldest first (0 = none)
    rec_share: np.ndarray  # (M, W)
    rec_slot: np.ndarray  # (M, W) slot index of each record, -1 = none

    ARRAYS = (
        "cum",
        "decayed",
        "first",
        "last",
        "last_share",
        "recent_count",
        "recent_total",
        "rec_count",
        "rec_share",
        "rec_slot",
    )

    @classmethod
    def empty(cls, n_items: int, window: int, t: int = 0) -> FeatureState:
        return cls(
            t=t,
            cum=np.zeros(n_items),
            decayed=np.zeros((len(HALF_LIVES), n_items)),
            first=np.full(n_items, -1, dtype=np.int64),
            last=np.full(n_items, -1, dtype=np.int64),
            last_share=np.zeros(n_items),
            recent_count=np.zeros((window, n_items)),
            recent_total=np.zeros(window),
            rec_count=np.zeros((n_items, window)),
            rec_share=np.zeros((n_items, window)),
            rec_slot=np.full((n_items, window), -1, dtype=np.int64),
        )

    @property
    def window(self) -> int:
        return self.recent_total.size

    @property
    def n_items(self) -> int:
        return self.cum.size

    def grow(self, n_items: int) -> FeatureState:
        """The same state over more items (the new ones never requested)."""
        extra = n_items - self.n_items
        if extra <= 0:
            return self
        blank = FeatureState.empty(extra, self.window, self.t)
        axis = {"decayed": 1, "recent_count": 1}
        per_item = [name for name in self.ARRAYS if name != "recent_total"]
        return replace(
            self,
            **{name: np.concatenate([getattr(self, name), getattr(blank, name)], axis=axis.get(name, 0)) for name in per_item},
        )

    def skip(self, slots: int) -> FeatureState:
        """The state after ``slots`` slots without any request (closed form: no pass needed)."""
        if slots <= 0:
            return self
        w = self.window
        keep = max(w - slots, 0)
        recent_count = np.zeros_like(self.recent_count)
        recent_total = np.zeros_like(self.recent_total)
        if keep:
            recent_count[:keep], recent_total[:keep] = self.recent_count[w - keep :], self.recent_total[w - keep :]
        decayed = self.decayed * (_DECAY[:, None] ** float(slots))
        return replace(self, t=self.t + slots, decayed=decayed, recent_count=recent_count, recent_total=recent_total)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.ARRAYS}


def _decay_matrix(rows: int, half_life_index: int) -> np.ndarray:
    """(rows+1, rows) matrix L with L[i, j] = d^(i-1-j) for j < i: L @ counts = decayed sums before each row."""
    exponent = np.arange(rows + 1)[:, None] - 1 - np.arange(rows)[None, :]
    return np.where(exponent >= 0, _DECAY[half_life_index] ** np.maximum(exponent, 0), 0.0)


class Block:
    """The state before each slot ``a + i`` (rows ``i = 0 .. B``) of a block, as dense arrays.

    Built from the state before ``a`` and the block's (B, items) counts; only the first ``items``
    columns are touched (items are numbered by first request, so later ones are still blank).
    """

    def __init__(self, state: FeatureState, counts: np.ndarray, totals: np.ndarray) -> None:
        n_rows, m = counts.shape
        w, a = state.window, state.t
        self.state, self.a, self.n_rows, self.m, self.window = state, a, n_rows, m, w
        self._end: FeatureState | None = None
        self.counts, self.totals = counts, totals
        requested = counts > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            self.share = np.where(totals[:, None] > 0, counts / totals[:, None], 0.0)
        zero = np.zeros((1, m))
        self.cum = state.cum[:m] + np.concatenate([zero, np.cumsum(counts, axis=0)])
        self.cum_total = self.cum.sum(axis=1)
        powers = np.arange(n_rows + 1, dtype=np.float64)[:, None]
        self.decayed = np.stack(
            [(_DECAY[h] ** powers) * state.decayed[h, :m] + _decay_matrix(n_rows, h) @ counts for h in range(len(HALF_LIVES))]
        )
        self.decayed_total = self.decayed.sum(axis=2)  # (H, B+1)
        slot_of_row = a + np.arange(n_rows, dtype=np.int64)[:, None]
        self.last = np.maximum.accumulate(np.concatenate([state.last[None, :m], np.where(requested, slot_of_row, -1)]), axis=0)
        first_row = requested.argmax(axis=0) if n_rows else np.zeros(m, dtype=np.int64)
        first_in_block = np.where(requested.any(axis=0), a + first_row, -1)
        self.first = np.where(state.first[:m] >= 0, state.first[:m], first_in_block)
        seen = np.sort(self.first[self.first >= 0])
        self.n_candidates = np.searchsorted(seen, a + np.arange(n_rows + 1), side="left")
        self.oldest = int(seen[0]) if seen.size else 0
        in_block = self.last >= a
        last_row = np.clip(self.last - a, 0, max(n_rows - 1, 0))
        columns = np.arange(m)[None, :]
        block_share = self.share[last_row, columns] if n_rows else np.zeros_like(self.cum)
        self.last_share = np.where(in_block, block_share, state.last_share[None, :m])
        self.recent_count = np.concatenate([state.recent_count[:, :m], counts])  # row k = slot a - w + k
        self.recent_total = np.concatenate([state.recent_total, totals])
        with np.errstate(invalid="ignore", divide="ignore"):
            self.recent_share = np.where(self.recent_total[:, None] > 0, self.recent_count / self.recent_total[:, None], 0.0)
        # item-major float32 copies: a cell's window is then one contiguous run of W values
        self._window_share = np.lib.stride_tricks.sliding_window_view(
            np.ascontiguousarray(self.recent_share.T, dtype=np.float32), w, axis=1
        )
        self._window_requested = np.lib.stride_tricks.sliding_window_view(
            np.ascontiguousarray(self.recent_count.T > 0), w, axis=1
        )
        requested_so_far = np.concatenate([np.zeros((1, m), dtype=np.int64), np.cumsum(self.recent_count > 0, axis=0)])
        self.requested_in_window = requested_so_far[w:] > requested_so_far[:-w]  # (B+1, items)
        self.n_records = np.concatenate([np.zeros((1, m), dtype=np.int64), np.cumsum(requested, axis=0)])
        item_of_record, row_of_record = np.nonzero(requested.T)  # sorted by item, then row
        starts = np.searchsorted(item_of_record, np.arange(m))
        self.record_row = np.zeros((max(n_rows, 1), m), dtype=np.int64)
        self.record_row[np.arange(item_of_record.size) - starts[item_of_record], item_of_record] = row_of_record

    def candidates(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), items) mask: which items are candidates before each given row's slot."""
        t = self.a + np.asarray(rows)[:, None]
        return (self.first[None, :] >= 0) & (self.first[None, :] < t)

    def slot_windows(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether requested, and shares (float32), in the ``window`` slots before each cell's slot, oldest first: (N, W)."""
        return self._window_requested[cols, rows], self._window_share[cols, rows]

    def records(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each cell's last ``window`` request records before its slot: count, share, slot index (N, W)."""
        w, rows, cols = self.window, np.asarray(rows), np.asarray(cols)
        back = np.arange(w, 0, -1)[None, :]  # position W-1-k holds the record k+1 steps back
        n = self.n_records[rows, cols][:, None]
        from_block = back <= n
        k = np.clip(n - back, 0, None)
        row = self.record_row[np.minimum(k, self.record_row.shape[0] - 1), cols[:, None]]
        state_pos = np.clip(w - back + n, 0, w - 1)
        count = np.where(
            from_block, self.counts[row, cols[:, None]] if self.n_rows else 0.0, self.state.rec_count[cols[:, None], state_pos]
        )
        share = np.where(
            from_block, self.share[row, cols[:, None]] if self.n_rows else 0.0, self.state.rec_share[cols[:, None], state_pos]
        )
        slot = np.where(from_block, self.a + row, self.state.rec_slot[cols[:, None], state_pos])
        return count, share, slot

    def sequences(self, rows: np.ndarray, cols: np.ndarray, windows: Windows) -> np.ndarray:
        """(N, W, 3) input windows, see :data:`SEQ_CHANNELS`."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        out = np.empty((rows.size, self.window, len(SEQ_CHANNELS)), dtype=np.float32)
        n = self.n_candidates[rows][:, None].astype(np.float32)
        if windows == "slots":
            requested, share = self.slot_windows(rows, cols)
            out[..., 2] = np.arange(self.window, 0, -1, dtype=np.float32)
        else:
            count, share, slot = self.records(rows, cols)
            requested = count > 0
            t = (self.a + rows)[:, None]
            out[..., 2] = np.where(slot >= 0, t - slot, t - self.first[cols][:, None] + 1)
        np.multiply(share, n, out=out[..., 0], casting="unsafe")
        out[..., 1] = requested
        return out

    def encoded_windows(self, rows: np.ndarray, cols: np.ndarray, windows: Windows) -> tuple[np.ndarray, np.ndarray]:
        """The distinct input windows of the cells (U, W, 3) and which one each cell has (N,).

        Most candidates had no request in the last ``window`` slots; with ``slots`` windows they
        all share one window, which is added once instead of being built and compared per cell.
        """
        rows, cols = np.asarray(rows), np.asarray(cols)
        active = self.requested_in_window[rows, cols] if windows == "slots" else np.ones(rows.size, dtype=bool)
        seq = self.sequences(rows[active], cols[active], windows)
        first, inverse = distinct_rows(seq)
        window_of = np.zeros(rows.size, dtype=np.int64)
        window_of[active] = inverse
        distinct = seq[first]
        if not active.all():
            idle = np.zeros((1, self.window, len(SEQ_CHANNELS)), dtype=np.float32)
            idle[0, :, 2] = np.arange(self.window, 0, -1)
            window_of[~active] = distinct.shape[0]
            distinct = np.concatenate([distinct, idle])
        return distinct, window_of

    def static(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """(N, 6) static features, see :data:`STATIC_CHANNELS`."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        n = self.n_candidates[rows]
        t = self.a + rows
        cum = self.cum[rows, cols] / np.maximum(self.cum_total[rows], 1e-30) * n
        decayed = self.decayed[:, rows, cols] / np.maximum(self.decayed_total[:, rows], 1e-30) * n
        since = t - self.last[rows, cols]
        age = (t - self.first[cols]) / np.maximum(t - self.oldest, 1)
        return np.column_stack([cum, *decayed, since, age]).astype(np.float32)

    def baselines(self, rows: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per baseline, (ranking score, share estimate) of every item before each row's slot: (R, items)."""
        rows, w = np.asarray(rows), self.window
        running = np.concatenate([np.zeros((1, self.m)), np.cumsum(self.recent_share, axis=0)])
        last_slot, average = self.recent_share[rows + w - 1], (running[rows + w] - running[rows]) / w
        last_share = self.last_share[rows]
        decayed = self.decayed[HALF_LIVES.index(DECAYED_LFU_HALF_LIFE), rows]
        return {
            "last": (last_slot, last_slot),
            "moving_average": (average, average),
            "lfu": (self.cum[rows], self.cum[rows]),
            "recency": (self.last[rows] + last_share / (1.0 + last_share), last_share),
            "lfu_decayed": (decayed, decayed),
        }

    def end_state(self) -> FeatureState:
        """The state before slot ``a + B``: the block's last row, over every item (computed once)."""
        if self._end is None:
            self._end = self._last_row_state()
        return self._end

    def _last_row_state(self) -> FeatureState:
        state, m, end = self.state, self.m, self.n_rows
        cols = np.arange(m)
        count, share, slot = self.records(np.full(m, end), cols)
        new = {
            "cum": self.cum[end],
            "decayed": self.decayed[:, end],
            "first": self.first,
            "last": self.last[end],
            "last_share": self.last_share[end],
            "recent_count": self.recent_count[end:],
            "rec_count": count,
            "rec_share": share,
            "rec_slot": slot,
        }
        arrays = {}
        for f in fields(FeatureState):
            if f.name == "t":
                continue
            old = getattr(state, f.name)
            if f.name == "recent_total":
                arrays[f.name] = self.recent_total[end:].copy()
            elif f.name in ("decayed", "recent_count"):
                value = old.copy()
                value[:, :m] = new[f.name]
                arrays[f.name] = value
            else:
                value = old.copy()
                value[:m] = new[f.name]
                arrays[f.name] = value
        return FeatureState(t=self.a + end, **arrays)


class LogPass:
    """One chronological pass over a log from ``state.t`` to ``stop``, a block at a time.

    Iterating yields :class:`Block` objects, each built from the state the previous one left,
    each about ``cells`` (slots x items) large; runs of slots without any request are skipped in
    closed form (:meth:`FeatureState.skip`), so a sparse hourly log costs what its busy slots
    cost. After the iteration, :attr:`state` is the state before ``stop``.
    """

    def __init__(self, log: SlotLog, state: FeatureState, stop: int, cells: int = BLOCK_CELLS) -> None:
        self.log, self.state, self.stop, self.cells = log, state, stop, cells
        self._busy = np.flatnonzero(log.totals > 0)

    def _next_busy(self, t: int) -> int:
        i = np.searchsorted(self._busy, t)
        return int(self._busy[i]) if i < self._busy.size else self.log.n_slots

    def _block_end(self, a: int) -> int:
        """Rows that fit the cell budget (fewer items are known early in the log), ending at a busy slot."""
        rows = 1
        while (
            rows < 512
            and a + rows < self.stop
            and (rows * 2) * max(int(self.log.seen_before(min(a + rows * 2, self.stop))), 1) <= self.cells
        ):
            rows *= 2
        b = min(a + rows, self.stop)
        last_busy = self._busy[np.searchsorted(self._busy, b) - 1]  # a is busy, so this is >= a
        return int(last_busy) + 1

    def __iter__(self) -> Iterator[Block]:
        log = self.log
        while self.state.t < self.stop:
            a = self.state.t
            busy = min(self._next_busy(a), self.stop)
            if busy > a:
                self.state = self.state.skip(busy - a)
                continue
            b = self._block_end(a)
            block = Block(self.state, log.dense(a, b, int(log.seen_before(b))), log.totals[a:b])
            yield block
            self.state = block.end_state()


def distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of one row per distinct row of ``rows`` (N, ...) and, per row, which one it is.

    Exact (rows compared as bytes); a 1-D sort of byte keys is ~10x faster than
    ``torch.unique(dim=0)``.
    """
    flat = np.ascontiguousarray(rows).reshape(rows.shape[0], -1)
    if flat.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys = flat.view(np.dtype((np.void, flat.shape[1] * flat.itemsize))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def advance(state: FeatureState, slots: np.ndarray, items: list[np.ndarray], counts: list[np.ndarray]) -> FeatureState:
    """The state after the given slots' requests (slot indices ascending and ``>= state.t``).

    Slots in between had no requests. Long gaps are skipped in closed form; the given slots go
    through dense blocks of at most :data:`BLOCK_CELLS` cells, as in the pass over a whole log.
    """
    slots = np.asarray(slots, dtype=np.int64)
    rows = max(1, min(512, BLOCK_CELLS // max(state.n_items, 1)))
    i = 0
    while i < slots.size:
        if slots[i] - state.t >= rows:
            state = state.skip(int(slots[i] - state.t))
        a, j = state.t, i
        while j < slots.size and slots[j] - a < rows:
            j += 1
        dense = np.zeros((int(slots[j - 1]) - a + 1, state.n_items))
        for k in range(i, j):
            dense[slots[k] - a, items[k]] += counts[k]
        state = Block(state, dense, dense.sum(axis=1)).end_state()
        i = j
    return state
