"""The study's LSTM views forecaster, rebuilt faithfully in PyTorch.

Recipe (:class:`~viewcast.forecasting.config.LSTMRecipe`, pinned by tests): MinMax scaling fitted
on the training part only; windows of the previous 10 values predict the next; chronological
80/20 split; two stacked LSTM layers of 50 units with dropout 0.4 after each; Dense(1); Adam (lr
0.001), MSE, batch 8, at most 50 epochs, early stopping on validation loss with the best epoch's
weights restored; recursive multi-step forecast. As in the study, the validation data for early
stopping is the 20% test part, so its "test" errors are optimistic; the backtest
(:mod:`viewcast.forecasting.training`) is the honest comparison with the pool. On the research
panels it was never the best model and took more than half of the run time, so ``auto`` leaves it
out: it forecasts when asked for (``model="lstm"``), and ``study_lstm`` trains it beside the pool
for the study's train/test table.

With several series (``by="category"`` or ``"creator"``) one global model learns from every
series' windows, each series scaled by its own training min/max (a thousand separate networks
would be slow and data-starved). Large panels get bigger batches and a per-epoch sample of
windows, reported in the fit summary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from pydantic import ValidationError
from torch import nn

from viewcast.forecasting.config import LSTMRecipe
from viewcast.forecasting.models.base import GlobalMember, State
from viewcast.forecasting.panel import Panel
from viewcast.io.persist import require, require_finite, require_shape
from viewcast.nn import TrainConfig, TrainHistory, fit

if TYPE_CHECKING:
    from viewcast.forecasting.config import ForecastConfig

LARGE_PANEL_WINDOWS = 20_000  # above this, the global model trains with larger batches
LARGE_BATCH = 512
LARGE_BATCHES_PER_EPOCH = 25  # ~13k sampled windows an epoch: a 1,000-series fit in about a minute
MAX_EARLY_STOPPING_WINDOWS = 20_000  # a fixed random subset watches validation loss on huge panels
#: Recipe entries that viewcast 0.1 saved inside the recipe; they are the forecast's own now.
RUN_SETTINGS = ("seed", "threads")


class StudyLSTM(nn.Module):
    """LSTM(50, return_sequences) -> Dropout(0.4) -> LSTM(50) -> Dropout(0.4) -> Dense(1)."""

    def __init__(self, units: int = 50, layers: int = 2, dropout: float = 0.4) -> None:
        super().__init__()
        self.lstms = nn.ModuleList(nn.LSTM(1 if i == 0 else units, units, batch_first=True) for i in range(layers))
        self.dropouts = nn.ModuleList(nn.Dropout(dropout) for _ in range(layers))
        self.head = nn.Linear(units, 1)
        self._keras_init()

    def _keras_init(self) -> None:
        """Keras' LSTM defaults: Glorot-uniform input weights, orthogonal recurrent, forget bias 1."""
        for lstm in self.lstms:
            for name, param in lstm.named_parameters():
                if name.startswith("weight_ih"):
                    for gate in param.data.chunk(4, dim=0):
                        nn.init.xavier_uniform_(gate)
                elif name.startswith("weight_hh"):
                    for gate in param.data.chunk(4, dim=0):
                        nn.init.orthogonal_(gate)
                else:
                    nn.init.zeros_(param)
            hidden = lstm.hidden_size
            lstm.bias_ih_l0.data[hidden : 2 * hidden] = 1.0  # torch gate order: input, forget, cell, output
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for lstm, dropout in zip(self.lstms, self.dropouts):
            x, _ = lstm(x)
            x = dropout(x)
        return self.head(x[:, -1, :])


def make_windows(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """All (previous ``window`` values -> next value) pairs; X is (n - window, window)."""
    values = np.asarray(values, dtype=np.float32)
    if len(values) <= window:
        return np.empty((0, window), np.float32), np.empty(0, np.float32)
    X = np.lib.stride_tricks.sliding_window_view(values[:-1], window)
    return np.ascontiguousarray(X), values[window:].copy()


def split_point(length: int, train_fraction: float) -> int:
    """Index of the first test value of a series under the chronological split."""
    return int(length * train_fraction)


class LSTMForecaster(GlobalMember):
    """Global study-LSTM over a panel. Fitted state: ``model_``, ``data_min_``, ``data_max_``."""

    name = "lstm"

    def __init__(
        self, recipe: LSTMRecipe | None = None, seed: int = 0, threads: int | None = None, progress: bool = True
    ) -> None:
        self.recipe = recipe or LSTMRecipe()
        self.seed = seed
        self.threads = threads
        self.progress = progress

    @classmethod
    def from_config(cls, config: ForecastConfig) -> LSTMForecaster:
        return cls(config.lstm, seed=config.seed, threads=config.threads, progress=config.progress)

    def min_fit_history(self) -> int:
        """Fewest days a series needs for the recipe's train/validation split."""
        return self.recipe.min_history()

    def min_history(self) -> int:
        return self.recipe.window

    # --- scaling -------------------------------------------------------------------------
    def _scale(self, values: np.ndarray, i: int) -> np.ndarray:
        span = self.data_max_[i] - self.data_min_[i]
        return (values - self.data_min_[i]) / (span if span > 0 else 1.0)

    def _unscale(self, values: np.ndarray, index: np.ndarray) -> np.ndarray:
        span = self.data_max_[index] - self.data_min_[index]
        return values * np.where(span > 0, span, 1.0) + self.data_min_[index]

    # --- training ------------------------------------------------------------------------
    def fit(self, panel: Panel) -> LSTMForecaster:
        r = self.recipe
        # A series shorter than the recipe's split (a creator who joined last week) adds no windows:
        # it is scaled by all its days so that the trained network can still forecast it.
        learns = panel.lengths > self.min_fit_history()
        if not learns.any():
            raise ValueError(f"no training windows: every series is shorter than the LSTM's {self.min_fit_history() + 1} days")
        splits = [split_point(len(v), r.train_fraction) if k else len(v) for v, k in zip(panel.values, learns)]
        # MinMax statistics from each series' training part only: no test value leaks into scaling.
        self.data_min_ = np.array([v[:s].min() for v, s in zip(panel.values, splits)], dtype=np.float64)
        self.data_max_ = np.array([v[:s].max() for v, s in zip(panel.values, splits)], dtype=np.float64)
        parts = {"train": ([], [], []), "test": ([], [], [])}
        for i in np.flatnonzero(learns):
            values, split = panel.values[i], splits[i]
            X, y = make_windows(self._scale(values, i), r.window)
            target_index = np.arange(r.window, len(values))
            for part, mask in (("train", target_index < split), ("test", target_index >= split)):
                parts[part][0].append(X[mask])
                parts[part][1].append(y[mask])
                parts[part][2].append(np.full(mask.sum(), i))
        X_train, y_train, s_train = (np.concatenate(a) for a in parts["train"])
        X_test, y_test, s_test = (np.concatenate(a) for a in parts["test"])
        batch_size, batches = r.batch_size, None
        if len(X_train) > LARGE_PANEL_WINDOWS:
            batch_size, batches = max(r.batch_size, LARGE_BATCH), LARGE_BATCHES_PER_EPOCH
        self.training_note_ = (
            f"{len(X_train):,} training and {len(X_test):,} validation windows from {int(learns.sum())} series"
            + (f" (not the {int((~learns).sum())} shorter than {self.min_fit_history() + 1} days)" if not learns.all() else "")
            + f"; batch {batch_size}"
            + (f", {batches} sampled batches per epoch" if batches else "")
            + (
                f", early stopping on {MAX_EARLY_STOPPING_WINDOWS:,} sampled validation windows"
                if len(X_test) > MAX_EARLY_STOPPING_WINDOWS
                else ""
            )
        )
        torch.manual_seed(self.seed)
        self.model_ = StudyLSTM(r.units, r.layers, r.dropout)
        to_t = lambda a: torch.from_numpy(np.asarray(a, np.float32))  # noqa: E731
        train = (to_t(X_train)[..., None], to_t(y_train)[:, None])
        watch = np.arange(len(X_test))
        if len(watch) > MAX_EARLY_STOPPING_WINDOWS:
            watch = np.sort(np.random.default_rng(self.seed).choice(len(X_test), MAX_EARLY_STOPPING_WINDOWS, replace=False))
        val = (to_t(X_test[watch])[..., None], to_t(y_test[watch])[:, None]) if len(X_test) else None
        config = TrainConfig(
            max_epochs=r.max_epochs,
            batch_size=batch_size,
            learning_rate=r.learning_rate,
            optimizer="adam",
            patience=r.patience,
            seed=self.seed,
            threads=self.threads,
            max_batches_per_epoch=batches,
            progress=self.progress,
            description="LSTM epochs",
        )
        self.history_: TrainHistory = fit(self.model_, train, val, nn.functional.mse_loss, config)
        self.train_test_table_ = {
            "train": self._errors(X_train, y_train, s_train),
            "test": self._errors(X_test, y_test, s_test) if len(X_test) else None,
        }
        return self

    def _predict_scaled(self, X: np.ndarray) -> np.ndarray:
        self.model_.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(X), 8192):
                chunk = torch.from_numpy(np.asarray(X[start : start + 8192], np.float32))[..., None]
                out.append(self.model_(chunk)[:, 0].numpy())
        return np.concatenate(out) if out else np.empty(0)

    def _errors(self, X: np.ndarray, y: np.ndarray, series: np.ndarray) -> dict[str, float]:
        """One-step MAE, MSE and RMSE in original units (views), as the study's table shows."""
        predicted = self._unscale(self._predict_scaled(X).astype(np.float64), series)
        actual = self._unscale(y.astype(np.float64), series)
        error = predicted - actual
        mse = float(np.mean(error**2))
        return {"mae": float(np.mean(np.abs(error))), "mse": mse, "rmse": math.sqrt(mse), "windows": int(len(y))}

    # --- forecasting ---------------------------------------------------------------------
    def predict(self, panel: Panel, steps: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Recursive forecast: each step's prediction becomes the next step's last input.

        Each history is scaled by its own series' training min/max (``rows``: which series).
        """
        w = self.recipe.window
        rows = np.arange(len(panel)) if rows is None else np.asarray(rows)
        if len(rows) != len(panel) or (len(rows) and rows.max() >= len(self.data_min_)):
            raise ValueError("panel does not match the fitted series")
        out = np.full((len(panel), steps), np.nan)
        usable = np.flatnonzero(panel.lengths >= w)
        if len(usable) == 0:
            return out
        inputs = np.stack([self._scale(panel.values[k][-w:], rows[k]) for k in usable]).astype(np.float32)
        predicted = []
        for _ in range(steps):
            nxt = self._predict_scaled(inputs)
            predicted.append(nxt)
            inputs = np.concatenate([inputs[:, 1:], nxt[:, None].astype(np.float32)], axis=1)
        scaled = np.stack(predicted, axis=1).astype(np.float64)
        out[usable] = self._unscale(scaled, np.broadcast_to(rows[usable][:, None], scaled.shape))
        return out

    def notes(self) -> list[str]:
        return [f"LSTM: {self.training_note_}"] if hasattr(self, "training_note_") else []

    # --- persistence ---------------------------------------------------------------------
    def state(self) -> State:
        tensors = {f"net.{k}": v.detach().numpy() for k, v in self.model_.state_dict().items()}
        tensors["data_min"], tensors["data_max"] = self.data_min_, self.data_max_
        config = {"recipe": self.recipe.model_dump(), "seed": self.seed, "train_test_table": self.train_test_table_}
        return config, tensors

    @classmethod
    def from_state(cls, state: Mapping[str, Any], tensors: Mapping[str, np.ndarray], series: int) -> LSTMForecaster:
        saved = dict(state.get("recipe") or {})
        run = {key: saved.pop(key, None) for key in RUN_SETTINGS}
        try:
            recipe = LSTMRecipe(**saved)
        except ValidationError as exc:
            require(False, f"LSTM recipe is invalid ({exc.errors(include_url=False)[0]['msg']})")
        seed = state.get("seed", run["seed"] or 0)
        self = cls(recipe, seed=int(seed), progress=False)
        network = StudyLSTM(recipe.units, recipe.layers, recipe.dropout)
        expected = {f"net.{k}": tuple(v.shape) for k, v in network.state_dict().items()}
        found = {k for k in tensors if k.startswith("net.")}
        require(found == set(expected), f"LSTM weights {sorted(found ^ set(expected))[:3]} do not match the recipe")
        for name, shape in expected.items():
            require_shape(tensors, name, shape)
        for name in ("data_min", "data_max"):
            require_shape(tensors, name, (series,))
        require_finite(tensors, [*expected, "data_min", "data_max"])
        network.load_state_dict({k[4:]: torch.from_numpy(np.array(tensors[k], dtype=np.float32)) for k in expected}, strict=True)
        network.eval()
        self.model_ = network
        self.data_min_ = np.asarray(tensors["data_min"], dtype=np.float64)
        self.data_max_ = np.asarray(tensors["data_max"], dtype=np.float64)
        require(bool(np.all(self.data_max_ >= self.data_min_)), "LSTM scaling has a maximum below its minimum")
        self.train_test_table_ = state.get("train_test_table")
        return self
