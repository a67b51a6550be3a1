"""The study's two-branch network, rebuilt in PyTorch with its Keras preprocessing.

Recipe (pinned by tests): drop ``#``, ``video_id`` and ``video_duration_sec``; standardise the five
counts (Keras ``Normalization``: mean and variance of the training rows); one-hot
``verified_status`` and ``author_ban_status`` (an unseen category is all zeros); map the transcript
to the integer ids of its first 20 words over the 10,000 most frequent words (Keras
``TextVectorization``: 0 = padding, 1 = out of vocabulary, padded and truncated at the end). The
ids go, as plain numbers, into a Dense 32 -> 16 ReLU branch, the numeric features into another
Dense 32 -> 16 ReLU branch; the two are concatenated into one sigmoid unit. Adam, binary
cross-entropy, batch 16, 20 epochs, and the weights of the epoch with the best validation accuracy.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from viewcast.claims.data import BAN, COUNTS, TEXT, VERIFIED, counts_matrix
from viewcast.claims.models.base import ClaimsModel, saved_settings
from viewcast.claims.text import tokenize
from viewcast.io.persist import require, require_finite, require_shape
from viewcast.nn import TrainConfig, fit

MAX_TOKENS = 10_000
SEQUENCE_LENGTH = 20
PAD, OOV = "", "[UNK]"


class TwoBranchNet(nn.Module):
    """numeric -> Dense 32 -> Dense 16; ids -> Dense 32 -> Dense 16; concat -> Dense 1 (logit)."""

    def __init__(self, n_numeric: int, sequence_length: int = SEQUENCE_LENGTH):
        super().__init__()
        self.numeric = nn.Sequential(nn.Linear(n_numeric, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.text = nn.Sequential(nn.Linear(sequence_length, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.head = nn.Linear(32, 1)
        for layer in self.modules():
            if isinstance(layer, nn.Linear):  # Keras' Dense defaults: Glorot-uniform weights, zero bias
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, numeric: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.numeric(numeric), self.text(ids)], dim=1)).squeeze(1)


def build_vocabulary(texts: pd.Series, max_tokens: int = MAX_TOKENS) -> list[str]:
    """Padding, OOV, then words by falling frequency (ties alphabetical), ``max_tokens`` in all."""
    counts = Counter(token for tokens in tokenize(texts) for token in tokens)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [PAD, OOV] + [word for word, _ in ranked[: max_tokens - 2]]


class ReferenceClaimsModel(ClaimsModel):
    """The study's network with its preprocessing; ``predict_proba`` takes raw rows."""

    KIND: ClassVar[str] = "claims-reference"
    name = "reference"

    def __init__(
        self, epochs: int = 20, batch_size: int = 16, learning_rate: float = 1e-3, sequence_length: int = SEQUENCE_LENGTH
    ):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.sequence_length = sequence_length
        self.training: dict[str, Any] = {}

    # -- preprocessing ----------------------------------------------------------------------
    def _ids(self, texts: pd.Series) -> np.ndarray:
        out = np.zeros((len(texts), self.sequence_length), dtype=np.float32)
        for row, tokens in enumerate(tokenize(texts)):
            ids = [self.word_index_.get(t, 1) for t in tokens[: self.sequence_length]]
            out[row, : len(ids)] = ids
        return out

    def _numeric(self, frame: pd.DataFrame) -> np.ndarray:
        counts = (counts_matrix(frame) - self.count_mean_) / self.count_scale_
        hots = [
            (frame[column].to_numpy(dtype=object)[:, None] == np.asarray(levels, dtype=object)[None, :]).astype(np.float64)
            for column, levels in ((VERIFIED, self.verified_levels_), (BAN, self.ban_levels_))
        ]
        return np.hstack([counts, *hots]).astype(np.float32)

    def _tensors(self, frame: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.from_numpy(self._numeric(frame)), torch.from_numpy(self._ids(frame[TEXT]))

    # -- training ---------------------------------------------------------------------------
    def fit(
        self, frame: pd.DataFrame, y: np.ndarray, val: tuple[pd.DataFrame, np.ndarray] | None = None, seed: int = 0
    ) -> ReferenceClaimsModel:
        self.vocabulary_ = build_vocabulary(frame[TEXT])
        self.word_index_ = {w: i for i, w in enumerate(self.vocabulary_)}
        counts = counts_matrix(frame)
        self.count_mean_ = counts.mean(axis=0)
        self.count_scale_ = np.where(counts.std(axis=0) > 0, counts.std(axis=0), 1.0)
        self.verified_levels_ = sorted(frame[VERIFIED].unique().tolist())
        self.ban_levels_ = sorted(frame[BAN].unique().tolist())
        torch.manual_seed(seed)
        self.net_ = TwoBranchNet(len(COUNTS) + len(self.verified_levels_) + len(self.ban_levels_), self.sequence_length)
        train = (*self._tensors(frame), torch.as_tensor(y, dtype=torch.float32))
        val_data = None
        metric = None
        if val is not None:
            val_data = (*self._tensors(val[0]), torch.as_tensor(val[1], dtype=torch.float32))

            def metric(model: nn.Module) -> float:
                return float(((model(*val_data[:2]) >= 0).float() == val_data[2]).float().mean())

        config = TrainConfig(
            max_epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            optimizer="adam",
            patience=self.epochs,
            monitor="val_metric" if val is not None else "val_loss",
            mode="max" if val is not None else "min",
            seed=seed,
            description="reference network",
        )
        self.history_ = fit(self.net_, train, val_data, nn.BCEWithLogitsLoss(), config, val_metric=metric)
        return self

    # -- prediction -------------------------------------------------------------------------
    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        self.net_.eval()
        with torch.no_grad():
            return torch.sigmoid(self.net_(*self._tensors(frame))).numpy().astype(np.float64)

    # -- persistence ------------------------------------------------------------------------
    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        config = {
            "name": self.name,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "sequence_length": self.sequence_length,
            "vocabulary": self.vocabulary_,
            "verified_levels": self.verified_levels_,
            "ban_levels": self.ban_levels_,
            "history": self.history_.as_dict() if hasattr(self, "history_") else None,
        }
        tensors = {f"net.{k}": v.detach().numpy() for k, v in self.net_.state_dict().items()}
        tensors.update(count_mean=self.count_mean_, count_scale=self.count_scale_)
        return config, tensors

    @classmethod
    def from_state(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> ReferenceClaimsModel:
        """Rebuild from a folder: vocabulary and category levels checked, weights shaped as the network's, finite."""
        state = saved_settings(ReferenceState, config)
        require(state.vocabulary[:2] == [PAD, OOV], "the vocabulary must start with the padding and unknown tokens")
        for name in ("vocabulary", "verified_levels", "ban_levels"):
            values = getattr(state, name)
            require(len(set(values)) == len(values), f"{name} repeats an entry")
        model = cls(state.epochs, state.batch_size, state.learning_rate, state.sequence_length)
        model.training = state.training or {}
        model.vocabulary_ = state.vocabulary
        model.word_index_ = {w: i for i, w in enumerate(model.vocabulary_)}
        model.verified_levels_, model.ban_levels_ = state.verified_levels, state.ban_levels
        with torch.random.fork_rng(devices=[]):  # the initial weights are overwritten: leave torch's seed alone
            model.net_ = TwoBranchNet(len(COUNTS) + len(model.verified_levels_) + len(model.ban_levels_), model.sequence_length)
        expected = {f"net.{key}": tuple(value.shape) for key, value in model.net_.state_dict().items()}
        expected.update(count_mean=(len(COUNTS),), count_scale=(len(COUNTS),))
        require(set(tensors) == set(expected), f"arrays {sorted(tensors)}, expected {sorted(expected)}")
        for name, shape in expected.items():
            require(
                np.issubdtype(require_shape(tensors, name, shape).dtype, np.floating), f"array {name!r} is not floating-point"
            )
        require_finite(tensors)
        model.count_mean_ = tensors["count_mean"].astype(np.float64)
        model.count_scale_ = tensors["count_scale"].astype(np.float64)
        require(bool((model.count_scale_ > 0).all()), "count scales must be positive")
        state_dict = {
            k[len("net.") :]: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in tensors.items() if k.startswith("net.")
        }
        model.net_.load_state_dict(state_dict)
        model.net_.eval()
        return model

    def settings(self) -> dict[str, Any]:
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "sequence_length": self.sequence_length,
            "vocabulary_size": len(self.vocabulary_),
            "verified_levels": self.verified_levels_,
            "ban_levels": self.ban_levels_,
        }


class ReferenceState(BaseModel):
    """``config.json`` of a reference network (format 1 also kept the training summary here)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field("reference", max_length=100)
    epochs: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    learning_rate: float = Field(gt=0)
    sequence_length: int = Field(ge=1, le=10_000)
    vocabulary: list[str] = Field(min_length=2, max_length=MAX_TOKENS)
    verified_levels: list[str] = Field(max_length=1000)
    ban_levels: list[str] = Field(max_length=1000)
    history: dict[str, Any] | None = None
    training: dict[str, Any] | None = None
