"""Training examples, sampled a block of slots at a time, and the fit of one network.

Split: chronological by slot (train, then validation, then test). A training example is a group of
candidates of one training slot: its requested items (up to half the group) plus not-requested
candidates drawn without replacement, half uniformly and half by cumulative popularity (uniform
negatives keep the within-slot softmax an unbiased picture of the full candidate set; the
popular-but-not-requested items are the ones a cache must tell apart). The log inclusion rate of
each candidate lets the listwise loss undo the sampling (sampled softmax).

Only the sampled groups are kept; validation and test slots are scored whole but streamed from
the state before the validation period (:func:`viewcast.popularity.evaluation.hit_ratio`), so
memory does not grow with the number of evaluated slots. Early stopping watches validation
``hit@50`` over *all* candidates of each validation slot, the same yardstick as the test; the
untrained network (which ranks like decayed LFU) competes as "epoch -1" and is kept if no epoch
beats it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from viewcast.errors import DataValidationError
from viewcast.nn import TrainConfig, TrainHistory, configure_torch, fit
from viewcast.popularity.config import PopularityConfig
from viewcast.popularity.evaluation import hit_ratio
from viewcast.popularity.features import SEQ_CHANNELS, STATIC_CHANNELS, Block, FeatureState, LogPass, SlotLog
from viewcast.popularity.network import PopularityNet, loss_function

Tensors = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class Split:
    """Slot indices of each period; every period is a contiguous range of the log."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    @property
    def validation_start(self) -> int:
        return int(self.validation[0])

    @property
    def test_start(self) -> int:
        return int(self.test[0])

    def sizes(self) -> dict[str, int]:
        return {
            "train_slots": int(self.train.size),
            "validation_slots": int(self.validation.size),
            "test_slots": int(self.test.size),
        }


def split_slots(log: SlotLog, val_fraction: float, test_fraction: float) -> Split:
    """Chronological split of the slots that have requests and candidates (earlier-seen items)."""
    slots = np.arange(log.n_slots)
    eligible = np.flatnonzero((log.totals > 0) & (log.seen_before(slots) > 0))
    n = eligible.size
    n_test, n_val = int(round(n * test_fraction)), int(round(n * val_fraction))
    if n - n_test - n_val < 2 or n_test < 1 or n_val < 1:
        raise DataValidationError(f"only {n} slots with requests: too few for a train/validation/test split; use shorter slots")
    return Split(eligible[: n - n_val - n_test], eligible[n - n_val - n_test : n - n_test], eligible[n - n_test :])


@dataclass
class TrainingData:
    """Sampled training and validation groups, and where the streamed validation starts."""

    split: Split
    train: Tensors  # window index (groups, G), static (groups, G, 6), target (groups, G, 3)
    validation: Tensors
    windows: torch.Tensor  # (distinct windows, W, 3): what the window indices point at
    validation_state: FeatureState  # before the first validation slot


def _top_per_row(keys: np.ndarray, k: int) -> np.ndarray:
    """Columns of each row's ``k`` largest keys, largest first."""
    k = min(k, keys.shape[1])
    part = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(keys, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def sample_groups(
    block: Block, rows: np.ndarray, config: PopularityConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate columns (rows x groups_per_slot, G) of each group (-1 pads) and their log inclusion rates.

    Sampling without replacement with unequal probabilities uses Gumbel keys (the largest
    ``log p + Gumbel`` are a successive sample), so every slot of the block is drawn at once.
    """
    size, half = config.group_size, config.group_size // 2
    counts, candidates = block.counts[rows], block.candidates(rows)
    positive = candidates & (counts > 0)
    negative = candidates & ~positive
    n_pos, n_negative = positive.sum(axis=1), negative.sum(axis=1)
    take_pos = np.minimum(n_pos, half)
    n_neg = np.minimum(size - take_pos, n_negative)
    uniform = np.where(negative, 1.0 / np.maximum(n_negative, 1)[:, None], 0.0)
    popularity = np.where(negative, block.cum[rows], 0.0)
    total = popularity.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 0.5 * uniform + 0.5 * np.where(total > 0, popularity / total, uniform)
        log_p = np.where(negative, np.log(p), -np.inf)
    pos_rate = np.minimum(1.0, half / np.maximum(n_pos, 1))
    groups, rates = [], []
    for _ in range(config.groups_per_slot):
        pos_cols = _top_per_row(np.where(positive, rng.random(positive.shape), -np.inf), half)
        pos_valid = np.arange(pos_cols.shape[1])[None, :] < take_pos[:, None]
        gumbel = -np.log(-np.log(rng.uniform(1e-12, 1.0, negative.shape)))
        neg_cols = _top_per_row(log_p + gumbel, size - int(take_pos.min()))
        neg_valid = np.arange(neg_cols.shape[1])[None, :] < n_neg[:, None]
        neg_rate = np.minimum(1.0, n_neg[:, None] * np.take_along_axis(p, neg_cols, axis=1))
        cols = np.concatenate([pos_cols, neg_cols], axis=1)
        valid = np.concatenate([pos_valid, neg_valid], axis=1)
        rate = np.concatenate([np.broadcast_to(pos_rate[:, None], pos_cols.shape), neg_rate], axis=1)
        order = np.argsort(~valid, axis=1, kind="stable")[:, :size]  # valid ones first
        cols, valid, rate = (np.take_along_axis(a, order, axis=1) for a in (cols, valid, rate))
        pad = size - cols.shape[1]
        groups.append(np.pad(np.where(valid, cols, -1), ((0, 0), (0, pad)), constant_values=-1))
        rates.append(np.pad(np.where(valid, np.log(np.maximum(rate, 1e-30)), 0.0), ((0, 0), (0, pad))))
    shape = (rows.size * config.groups_per_slot, size)
    return np.stack(groups, axis=1).reshape(shape), np.stack(rates, axis=1).reshape(shape)


def group_arrays(block: Block, rows: np.ndarray, cols: np.ndarray, log_rate: np.ndarray, windows: str) -> tuple[np.ndarray, ...]:
    """Inputs and targets of sampled groups (one block row per group).

    Returns the distinct input windows, each cell's window index (-1 = padding), static features
    (zero for padding) and targets: relative share (share x candidates; -1 = padding), log
    inclusion rate, slot requests.
    """
    groups, size = cols.shape
    g, c = np.nonzero(cols >= 0)
    cell_row, cell_item = rows[g], cols[g, c]
    distinct, cell_window = block.encoded_windows(cell_row, cell_item, windows)
    window_id = np.full((groups, size), -1, dtype=np.int32)
    window_id[g, c] = cell_window
    static = np.zeros((groups, size, len(STATIC_CHANNELS)), dtype=np.float32)
    static[g, c] = block.static(cell_row, cell_item)
    totals = block.totals[rows]
    share = np.full((groups, size), -1.0)
    share[g, c] = block.counts[cell_row, cell_item] / totals[g] * block.n_candidates[cell_row]
    target = np.stack([share, log_rate, np.broadcast_to(totals[:, None], (groups, size))], axis=-1).astype(np.float32)
    return distinct, window_id, static, target


class WindowTable:
    """The distinct input windows of every stored group, appended block by block (row 0: zeros, for padding).

    Most sampled candidates share a window (no requests lately), so groups keep a window index
    instead of the window: a fifth of the memory.
    """

    def __init__(self, window: int) -> None:
        self.parts = [np.zeros((1, window, len(SEQ_CHANNELS)), dtype=np.float32)]
        self.rows = 1

    def add(self, distinct: np.ndarray, window_id: np.ndarray) -> np.ndarray:
        """Store a block's distinct windows; its window indices (-1 = padding) become table indices."""
        self.parts.append(distinct)
        shifted = np.where(window_id >= 0, window_id + self.rows, 0).astype(np.int32)
        self.rows += distinct.shape[0]
        return shifted

    def tensor(self) -> torch.Tensor:
        return torch.from_numpy(np.concatenate(self.parts))


class _GroupStore:
    """Preallocated group arrays filled block by block (no second copy at the end)."""

    def __init__(self, n_groups: int, config: PopularityConfig, table: WindowTable) -> None:
        g = config.group_size
        self.table = table
        self.window_id = np.zeros((n_groups, g), dtype=np.int32)
        self.static = np.zeros((n_groups, g, len(STATIC_CHANNELS)), dtype=np.float32)
        self.target = np.zeros((n_groups, g, 3), dtype=np.float32)
        self.filled = 0

    def add(self, distinct: np.ndarray, window_id: np.ndarray, static: np.ndarray, target: np.ndarray) -> None:
        end = self.filled + window_id.shape[0]
        self.window_id[self.filled : end] = self.table.add(distinct, window_id)
        self.static[self.filled : end], self.target[self.filled : end] = static, target
        self.filled = end

    def tensors(self) -> Tensors:
        target = self.target[: self.filled]
        if self.filled:
            target[..., 2] /= target[:, 0, 2].mean()  # slot weights: requests relative to the mean slot
        return (
            torch.from_numpy(self.window_id[: self.filled]),
            torch.from_numpy(self.static[: self.filled]),
            torch.from_numpy(target),
        )


class GroupScorer(nn.Module):
    """The network over stored groups: inputs are window indices into the shared table, not windows."""

    def __init__(self, net: PopularityNet, windows: torch.Tensor) -> None:
        super().__init__()
        self.net = net
        self.windows = windows  # data, not state: neither trained nor saved

    def forward(self, window_id: torch.Tensor, static: torch.Tensor) -> torch.Tensor:
        used, inverse = torch.unique(window_id, return_inverse=True)
        flat_static = static.reshape(-1, static.shape[-1])
        score = self.net.score if torch.is_grad_enabled() else self.net.score_all  # evaluation: bounded memory
        return score(self.windows[used], inverse.reshape(-1), flat_static).reshape(window_id.shape)


def training_data(log: SlotLog, config: PopularityConfig) -> TrainingData:
    """One chronological pass up to the test period: sample groups of training and validation slots."""
    split = split_slots(log, config.val_fraction, config.test_fraction)
    sampled = log.active()  # slots with requests of earlier-seen items: a group has positives
    rng = np.random.default_rng(config.seed)
    table = WindowTable(config.window)
    stores = {}
    state = FeatureState.empty(log.n_items, config.window)
    validation_state = state
    for name, period, stop in (
        ("train", split.train, split.validation_start),
        ("validation", split.validation, split.test_start),
    ):
        wanted = np.intersect1d(period, sampled)
        store = stores[name] = _GroupStore(wanted.size * config.groups_per_slot, config, table)
        if name == "validation":
            validation_state = state
        mask = np.zeros(log.n_slots + 1, dtype=bool)
        mask[wanted] = True
        log_pass = LogPass(log, state, stop)
        for block in log_pass:
            rows = np.flatnonzero(mask[block.a : block.a + block.n_rows])
            if rows.size:
                cols, log_rate = sample_groups(block, rows, config, rng)
                store.add(*group_arrays(block, np.repeat(rows, config.groups_per_slot), cols, log_rate, config.windows))
        state = log_pass.state
    if stores["train"].filled == 0:
        raise DataValidationError("no training slot has requests of items seen before it: nothing to learn from")
    return TrainingData(split, stores["train"].tensors(), stores["validation"].tensors(), table.tensor(), validation_state)


@dataclass
class Fitted:
    """A trained network and how it got there."""

    net: PopularityNet
    history: TrainHistory
    initial_score: float
    kept_initial: bool


def fit_network(data: TrainingData, log: SlotLog, config: PopularityConfig, progress: bool = True) -> Fitted:
    """Train one network; keep the untrained start if no epoch beats it on validation hit@50."""
    configure_torch(config.seed)  # one thread unless VIEWCAST_TORCH_THREADS says otherwise: on a busy machine, 10x faster
    net = PopularityNet(config.cell, config.hidden, config.layers, config.dropout)
    split = data.split

    def val_metric(model: GroupScorer | PopularityNet) -> float:
        scorer = model.net if isinstance(model, GroupScorer) else model
        return hit_ratio(scorer, config.loss, config.windows, log, data.validation_state, split.test_start, split.validation)

    initial_state, initial_score = copy.deepcopy(net.state_dict()), val_metric(net)
    history = fit(
        GroupScorer(net, data.windows),
        train=data.train,
        val=data.validation if data.validation[0].shape[0] else None,
        loss_fn=loss_function(config.loss),
        config=TrainConfig(
            max_epochs=config.max_epochs,
            batch_size=config.batch_size,
            learning_rate=config.learning_rate,
            optimizer=config.optimizer,
            patience=config.patience,
            monitor="val_metric",
            mode="max",
            seed=config.seed,
            max_batches_per_epoch=config.max_batches_per_epoch,
            progress=progress,
            description=f"{config.cell} {config.loss}",
        ),
        val_metric=val_metric,
    )
    # The untrained network ranks exactly like decayed LFU (see PopularityNet). If no epoch beats that
    # start on validation, keep it: on thin logs training can fit noise, and the choice is made on
    # validation slots only, so the test slots stay unseen.
    kept_initial = initial_score > max(history.val_metric)
    if kept_initial:
        net.load_state_dict(initial_state)
        history.best_epoch = -1
    net.eval()
    return Fitted(net, history, initial_score, kept_initial)
