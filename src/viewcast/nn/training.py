"""One seeded training loop with early stopping and best-epoch restore, used by every network.

Why one loop: the studies we rebuild all use Keras' ``fit`` with ``EarlyStopping(
restore_best_weights=True)``; implementing that once (and testing it once) keeps every model's
recipe comparable. Small recurrent models run as fast on one CPU thread as on two, and two threads
stall badly when another process holds a core, so :func:`configure_torch` defaults to one thread
(``VIEWCAST_TORCH_THREADS`` or the ``threads`` setting override it).
"""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from viewcast.progress import progress_bar

Batch = tuple[torch.Tensor, ...]


class TrainConfig(BaseModel):
    """Training-loop settings shared by all networks (validated, so typos fail early)."""

    model_config = ConfigDict(extra="forbid")

    max_epochs: int = Field(50, ge=1)
    batch_size: int = Field(8, ge=1)
    learning_rate: float = Field(1e-3, gt=0)
    optimizer: Literal["adam", "sgd", "rmsprop"] = "adam"
    patience: int = Field(10, ge=1, description="epochs without improvement before stopping")
    monitor: Literal["val_loss", "val_metric"] = "val_loss"
    mode: Literal["min", "max"] = "min"
    shuffle: bool = True
    seed: int = 0
    threads: int | None = Field(None, ge=1, description="torch threads; None = VIEWCAST_TORCH_THREADS or 1")
    max_batches_per_epoch: int | None = Field(
        None, ge=1, description="sample this many batches per epoch (large global models); None = all"
    )
    progress: bool = True
    description: str = "training"


@dataclass
class TrainHistory:
    """Per-epoch curves and where the restored weights came from."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    best_epoch: int = -1  # 0-based epoch whose weights the model holds after fit()
    stopped_early: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "train_loss": self.train_loss,
            "val_loss": self.val_loss,
            "val_metric": self.val_metric,
            "best_epoch": self.best_epoch,
            "epochs_run": len(self.train_loss),
            "stopped_early": self.stopped_early,
        }


def configure_threads(threads: int | None = None) -> int:
    """Set torch's thread count: ``threads``, else ``VIEWCAST_TORCH_THREADS``, else 1."""
    if threads is None:
        setting = os.environ.get("VIEWCAST_TORCH_THREADS", "1")
        threads = int(setting) if setting.strip().isdigit() else 1
    torch.set_num_threads(max(1, threads))
    return max(1, threads)


def configure_torch(seed: int, threads: int | None = None) -> None:
    """Seed every RNG that training touches and set the torch thread count."""
    configure_threads(threads)
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def make_optimizer(name: str, params, learning_rate: float) -> torch.optim.Optimizer:
    """Optimizers by the names the studies use (Keras defaults where they differ from torch)."""
    if name == "adam":
        return torch.optim.Adam(params, lr=learning_rate, eps=1e-7)
    if name == "sgd":
        return torch.optim.SGD(params, lr=learning_rate)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=learning_rate, alpha=0.9, eps=1e-7)
    raise ValueError(f"unknown optimizer {name!r}")


def _batches(n: int, batch_size: int, shuffle: bool, generator: torch.Generator, limit: int | None):
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    starts = range(0, n, batch_size)
    if limit is not None and len(starts) > limit:
        starts = starts[:limit]  # order is already random when shuffling, so this is a random sample
    for start in starts:
        yield order[start : start + batch_size]


def evaluate_loss(model: nn.Module, data: Batch, loss_fn: Callable, batch_size: int = 4096) -> float:
    """Mean loss over ``data`` in eval mode (dropout off), weighted by batch size."""
    model.eval()
    total, count = 0.0, 0
    n = data[0].shape[0]
    with torch.no_grad():
        for start in range(0, n, batch_size):
            part = tuple(t[start : start + batch_size] for t in data)
            out = model(*part[:-1])
            total += float(loss_fn(out, part[-1])) * part[0].shape[0]
            count += part[0].shape[0]
    return total / max(count, 1)


def fit(
    model: nn.Module,
    train: Batch,
    val: Batch | None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    config: TrainConfig,
    val_metric: Callable[[nn.Module], float] | None = None,
) -> TrainHistory:
    """Train ``model`` in place and restore the weights of its best validation epoch.

    ``train`` and ``val`` are tuples of tensors whose last element is the target; the others are
    passed to ``model(*inputs)``. Early stopping watches validation loss (``monitor='val_loss'``)
    or ``val_metric(model)`` (``monitor='val_metric'``, e.g. accuracy with ``mode='max'``). With no
    validation data the last epoch is kept.
    """
    configure_torch(config.seed, config.threads)
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = make_optimizer(config.optimizer, model.parameters(), config.learning_rate)
    history = TrainHistory()
    best_score: float | None = None
    best_state: dict[str, torch.Tensor] | None = None
    waited = 0
    sign = 1.0 if config.mode == "min" else -1.0
    n = train[0].shape[0]

    with progress_bar(config.description, total=config.max_epochs, enabled=config.progress) as advance:
        for epoch in range(config.max_epochs):
            model.train()
            running, seen = 0.0, 0
            for index in _batches(n, config.batch_size, config.shuffle, generator, config.max_batches_per_epoch):
                batch = tuple(t[index] for t in train)
                optimizer.zero_grad()
                loss = loss_fn(model(*batch[:-1]), batch[-1])
                loss.backward()
                optimizer.step()
                running += float(loss.detach()) * len(index)
                seen += len(index)
            history.train_loss.append(running / max(seen, 1))
            if val is not None:
                history.val_loss.append(evaluate_loss(model, val, loss_fn))
            if val_metric is not None:
                model.eval()
                with torch.no_grad():
                    history.val_metric.append(float(val_metric(model)))
            advance()
            if val is None and val_metric is None:
                history.best_epoch = epoch
                continue
            score = history.val_loss[-1] if config.monitor == "val_loss" else history.val_metric[-1]
            if best_score is None or sign * score < sign * best_score:
                best_score, waited, history.best_epoch = score, 0, epoch
                best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
                if waited >= config.patience:
                    history.stopped_early = True
                    break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history
