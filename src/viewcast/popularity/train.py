"""Train a recurrent popularity scorer on prepared slot counts and judge it as a cache would.

Split: chronological by slot (train, then validation, then test). Training examples are groups of
candidates of one training slot: its requested movies (up to half the group) plus not-requested
candidates drawn uniformly (uniform negatives keep the within-slot softmax an unbiased picture of
the full candidate set; negatives drawn by popularity taught the model that popular means "not
requested"). Early stopping watches validation ``hit@50`` computed over
*all* candidates of each validation slot, so model choice uses the same yardstick as the test; the
untrained network (which ranks like decayed LFU) competes as "epoch -1" and is kept if no epoch beats it.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from pydantic import BaseModel, ConfigDict, Field

from viewcast.atomic import write_json, write_parquet
from viewcast.errors import DataValidationError, ModelLoadError
from viewcast.nn import TrainConfig, TrainHistory, fit
from viewcast.persist import load_model, save_model
from viewcast.popularity.evaluate import BASELINES, MetricAccumulator, baseline_metrics, normalise
from viewcast.popularity.model import Cell, Loss, PopularityNet, loss_function, predicted_shares
from viewcast.popularity.panel import SEQ_CHANNELS, STATIC_CHANNELS, SlotBatch, SlotPanel, Windows, slot_batches, split_slots
from viewcast.popularity.prepare import COUNTS_FILE, META_FILE

MODEL_KIND = "popularity"
SELECTION_METRIC = "hit@50"


class DatasetConfig(BaseModel):
    """What decides the training examples (runs sharing these share one feature pass)."""

    model_config = ConfigDict(extra="forbid")

    window: int = Field(10, ge=1, le=100)
    windows: Windows = "slots"
    group_size: int = Field(128, ge=2, description="candidates per training example (one slot each)")
    groups_per_slot: int = Field(4, ge=1)
    val_fraction: float = Field(0.15, gt=0, lt=0.5)
    test_fraction: float = Field(0.15, gt=0, lt=0.5)
    seed: int = 0


class PopularityConfig(DatasetConfig):
    """Network and optimisation settings on top of the data settings."""

    cell: Cell = "lstm"
    hidden: int = Field(32, ge=1)
    layers: int = Field(1, ge=1)
    dropout: float = Field(0.0, ge=0, lt=1)
    batch_size: int = Field(16, ge=1, description="candidate groups per batch")
    learning_rate: float = Field(1e-3, gt=0)
    optimizer: Literal["adam", "sgd", "rmsprop"] = "adam"
    loss: Loss = "cross_entropy"
    max_epochs: int = Field(30, ge=1)
    patience: int = Field(5, ge=1)
    max_batches_per_epoch: int | None = Field(None, ge=1)

    def dataset(self) -> DatasetConfig:
        return DatasetConfig(**{name: getattr(self, name) for name in DatasetConfig.model_fields})


@dataclass
class PopularityDataset:
    """Training groups as tensors; validation and test slots with all their candidates."""

    config: DatasetConfig
    panel: SlotPanel
    train: tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # seq, static, target (groups, G, ...)
    val_groups: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    validation: list[SlotBatch]
    test: list[SlotBatch]
    split_sizes: dict[str, int] = field(default_factory=dict)


def load_counts(prepared: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a ``viewcast popularity prepare`` folder (counts and meta)."""
    import json

    prepared = Path(prepared)
    counts_path = prepared / COUNTS_FILE
    if not counts_path.is_file():
        raise DataValidationError(f"{prepared}: no {COUNTS_FILE}; run 'viewcast popularity prepare' first")
    try:
        counts = pd.read_parquet(counts_path, columns=["slot", "movieId", "count"])
        meta = json.loads((prepared / META_FILE).read_text()) if (prepared / META_FILE).is_file() else {}
    except (OSError, ValueError, KeyError) as exc:
        raise DataValidationError(f"{counts_path}: cannot be read ({exc})") from None
    return counts, meta


def _sample_groups(batch: SlotBatch, config: DatasetConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (groups, G) of candidates (-1 pads) and each one's log inclusion rate.

    Requested movies are always in (up to half the group). The others are drawn half uniformly and
    half by cumulative popularity, so the popular-but-not-requested movies a cache must tell apart
    are seen often; the log inclusion rate lets the listwise loss undo that bias (sampled softmax).
    """
    size = config.group_size
    positive, negative = np.flatnonzero(batch.count > 0), np.flatnonzero(batch.count == 0)
    groups = np.full((config.groups_per_slot, size), -1, dtype=np.int64)
    log_rate = np.zeros((config.groups_per_slot, size), dtype=np.float32)
    popularity = batch.static[negative, 0].astype(np.float64)  # relative cumulative share
    uniform = np.full(negative.size, 1.0 / max(negative.size, 1))
    p = 0.5 * uniform + 0.5 * (popularity / popularity.sum() if popularity.sum() > 0 else uniform)
    for g in range(config.groups_per_slot):
        pos = positive if positive.size <= size // 2 else rng.choice(positive, size // 2, replace=False)
        n_neg = min(size - pos.size, negative.size)
        pick = rng.choice(negative.size, n_neg, replace=False, p=p) if n_neg else np.zeros(0, dtype=np.int64)
        chosen = np.concatenate([pos, negative[pick]])
        groups[g, : chosen.size] = chosen
        rate = np.concatenate(
            [np.full(pos.size, min(1.0, (size // 2) / max(positive.size, 1))), np.minimum(1.0, n_neg * p[pick])]
        )
        log_rate[g, : chosen.size] = np.log(rate)
    return groups, log_rate


def _group_arrays(batch: SlotBatch, groups: np.ndarray, log_rate: np.ndarray) -> tuple[np.ndarray, ...]:
    """One slot's sampled groups as arrays: seq, static and a target of (relative share, log
    inclusion rate, slot requests); padding has zero inputs and a share of -1."""
    valid = groups >= 0
    rows = np.where(valid, groups, 0)
    seq = batch.windows[batch.window_of[rows]] * valid[..., None, None]
    static = batch.static[rows] * valid[..., None]
    share = np.where(valid, batch.share[rows] * batch.movies.size, -1.0)  # relative share
    target = np.stack([share, np.where(valid, log_rate, 0.0), np.full(groups.shape, batch.total)], axis=-1)
    return seq.astype(np.float32), static.astype(np.float32), target.astype(np.float32)


def _stack_groups(parts: list[tuple[np.ndarray, ...]], config: DatasetConfig) -> tuple[torch.Tensor, ...]:
    """Concatenate per-slot groups; slot weights become requests relative to the mean slot."""
    if not parts:
        shapes = ((config.window, len(SEQ_CHANNELS)), (len(STATIC_CHANNELS),), (3,))
        return tuple(torch.zeros((0, config.group_size, *shape)) for shape in shapes)
    seq, static, target = (np.concatenate(arrays) for arrays in zip(*parts))
    target[..., 2] /= target[:, 0, 2].mean()
    return torch.from_numpy(seq), torch.from_numpy(static), torch.from_numpy(target)


def build_dataset(counts: pd.DataFrame, config: DatasetConfig) -> PopularityDataset:
    """One chronological pass: sample training groups, keep validation and test slots whole."""
    panel = SlotPanel.from_counts(counts)
    split = split_slots(panel, config.val_fraction, config.test_fraction)
    role = {int(t): name for name, slots in split.items() for t in slots}
    slot_index = {int(s): i for i, s in enumerate(panel.slot_ids)}
    rng = np.random.default_rng(config.seed)
    train_parts, val_parts, validation, test = [], [], [], []
    wanted = np.concatenate(list(split.values()))
    for batch in slot_batches(panel, config.window, config.windows, np.sort(wanted)):
        kind = role[slot_index[batch.slot]]
        if kind == "test":
            test.append(batch)
            continue
        if kind == "validation":
            validation.append(batch)
        if batch.count.sum() > 0:  # keep only the sampled groups of training slots, not the whole slot
            (train_parts if kind == "train" else val_parts).append(_group_arrays(batch, *_sample_groups(batch, config, rng)))
    if not train_parts or not validation or not test:
        raise DataValidationError("not enough slots with requests of known movies for training, validation and test")
    return PopularityDataset(
        config=config,
        panel=panel,
        train=_stack_groups(train_parts, config),
        val_groups=_stack_groups(val_parts, config),
        validation=validation,
        test=test,
        split_sizes={"train_slots": len(train_parts), "validation_slots": len(validation), "test_slots": len(test)},
    )


def score_slot(model: PopularityNet, batch: SlotBatch) -> np.ndarray:
    """Model scores of every candidate of one slot (eval mode, no gradients)."""
    model.eval()
    with torch.no_grad():
        return model.score(
            torch.from_numpy(batch.windows), torch.from_numpy(batch.window_of), torch.from_numpy(batch.static)
        ).numpy()


def model_metrics(model: PopularityNet, batches: list[SlotBatch], loss: Loss) -> dict[str, float]:
    acc = MetricAccumulator()
    for batch in batches:
        scores = score_slot(model, batch)
        acc.add(batch, predicted_shares(torch.from_numpy(scores), loss).numpy(), scores)
    return acc.result()


@dataclass
class PopularityRun:
    """A trained scorer with its curves, test metrics and per-slot test predictions."""

    config: PopularityConfig
    model: PopularityNet
    history: TrainHistory
    metrics: dict[str, Any]
    predictions: pd.DataFrame
    seconds: float

    def save(self, out: str | os.PathLike[str], with_predictions: bool = True) -> Path:
        out = Path(out)
        save_popularity_model(out / "model", self.model, self.config)
        if with_predictions:
            write_parquet(out / "predictions.parquet", self.predictions)
        write_json(out / "metrics.json", self.metrics)
        return out


def train_popularity(dataset: PopularityDataset, config: PopularityConfig, progress: bool = True) -> PopularityRun:
    """Fit one network on a dataset built with ``config.dataset()`` and evaluate it on the test slots."""
    if dataset.config != config.dataset():
        raise ValueError("dataset was built with different data settings than this run's")
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    model = PopularityNet(config.cell, config.hidden, config.layers, config.dropout)
    val_metric = lambda m: model_metrics(m, dataset.validation, config.loss)[SELECTION_METRIC]  # noqa: E731
    initial_state, initial_score = copy.deepcopy(model.state_dict()), val_metric(model)
    history = fit(
        model,
        train=dataset.train,
        val=dataset.val_groups if dataset.val_groups[0].shape[0] else None,
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
    # starting point on validation, keep it: on thin logs training can fit noise, and the choice is
    # made on validation slots only, so the test slots stay unseen.
    kept_initial = initial_score > max(history.val_metric)
    if kept_initial:
        model.load_state_dict(initial_state)
        history.best_epoch = -1
    baselines, oracle = baseline_metrics(dataset.test)
    metrics = {
        "model": model_metrics(model, dataset.test, config.loss),
        "baselines": baselines,
        "oracle": oracle,
        "validation": {
            "model": model_metrics(model, dataset.validation, config.loss),
            "baselines": baseline_metrics(dataset.validation)[0],
        },
        "selection_metric": SELECTION_METRIC,
        "initial_validation_" + SELECTION_METRIC: initial_score,
        "kept_initial_weights": kept_initial,
        "history": history.as_dict(),
        "split": dataset.split_sizes,
        "config": config.model_dump(),
    }
    return PopularityRun(
        config, model, history, metrics, _predictions(model, dataset, config.loss), time.perf_counter() - started
    )


def _predictions(model: PopularityNet, dataset: PopularityDataset, loss: Loss) -> pd.DataFrame:
    """Per test slot and candidate: actual count and share, the model's and the baselines' shares."""
    frames = []
    for batch in dataset.test:
        scores = score_slot(model, batch)
        columns = {
            "slot": np.full(batch.movies.size, batch.slot, dtype=np.int64),
            "movieId": dataset.panel.movie_ids[batch.movies],
            "count": batch.count.astype(np.int64),
            "share": batch.share,
            "predicted": predicted_shares(torch.from_numpy(scores), loss).numpy().astype(np.float64),
        }
        columns.update({f"baseline_{name}": normalise(batch.baselines[name][1]) for name in BASELINES})
        frames.append(pd.DataFrame(columns))
    return pd.concat(frames, ignore_index=True)


def save_popularity_model(directory: str | os.PathLike[str], model: PopularityNet, config: PopularityConfig) -> Path:
    payload = {"config": config.model_dump(), "seq_channels": list(SEQ_CHANNELS), "static_channels": list(STATIC_CHANNELS)}
    return save_model(directory, MODEL_KIND, payload, {k: v for k, v in model.state_dict().items()})


def load_popularity_model(directory: str | os.PathLike[str]) -> tuple[PopularityNet, PopularityConfig]:
    """Rebuild a saved scorer; refuse one whose feature layout differs from this code's."""
    saved = load_model(directory, MODEL_KIND)
    if saved.config.get("seq_channels") != list(SEQ_CHANNELS) or saved.config.get("static_channels") != list(STATIC_CHANNELS):
        raise ModelLoadError(f"{directory}: saved with different input features than this viewcast uses")
    config = PopularityConfig(**saved.config["config"])
    model = PopularityNet(config.cell, config.hidden, config.layers, config.dropout)
    try:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in saved.tensors.items()})
    except RuntimeError as exc:
        raise ModelLoadError(f"{directory}: weights do not fit the saved architecture ({exc})") from None
    model.eval()
    return model, config
