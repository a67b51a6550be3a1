"""The saved popularity model: the network *and* the feature state it needs to rank the next slot.

A scorer alone cannot serve: ranking the next slot's items needs what the features are made of
(per-item cumulative and decayed counts, the last ``window`` slots, each item's last request
records, the item catalogue, the slot length and the last slot id). :class:`PopularityModel`
keeps all of it (:class:`~viewcast.popularity.features.FeatureState`), so that ``predict`` ranks
the next slot from the saved state, optionally brought up to date with the recent per-slot counts
a request carries (:mod:`viewcast.popularity.schema`).

Models saved by viewcast 0.1.0 (format 1) hold the network only; they still load and answer a
request that carries its own recent counts (the state is built from the request alone).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from viewcast.contracts import Config
from viewcast.errors import ConfigError, DataValidationError, ModelLoadError
from viewcast.io.persist import require, require_finite, require_shape
from viewcast.popularity.config import Cell, Loss, Slot, Windows
from viewcast.popularity.evaluation import predicted_shares
from viewcast.popularity.features import HALF_LIVES, SEQ_CHANNELS, STATIC_CHANNELS, Block, FeatureState, advance
from viewcast.popularity.network import PopularityNet
from viewcast.popularity.schema import PopularityAnswer, RankedItem, parse_request
from viewcast.popularity.slots import max_slot, slot_of, slot_start

STATE_PREFIX = "state."


class NetworkSettings(Config):
    """What rebuilds the network and its inputs."""

    cell: Cell = "lstm"
    hidden: int = 32
    layers: int = 1
    dropout: float = 0.0
    loss: Loss = "cross_entropy"
    window: int = 10
    windows: Windows = "slots"


class PopularityModel:
    """A trained scorer, its settings, and (normally) the feature state after the data it saw.

    ``predict(request)`` takes ``{"slots": [{"slot": id or timestamp, "counts": {item: n}}, ...],
    "top": k}`` and answers the next slot's top-k items with predicted shares (strict JSON).
    """

    KIND: ClassVar[str] = "popularity"

    def __init__(
        self,
        net: PopularityNet,
        settings: NetworkSettings,
        *,
        slot: Slot | None = None,
        origin: int | None = None,
        items: np.ndarray | None = None,
        state: FeatureState | None = None,
        training: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        self.net, self.settings, self.slot = net.eval(), settings, slot
        self.origin, self.items, self.state = origin, items, state
        self.training, self.metrics = training or {}, metrics or {}

    # persistence -------------------------------------------------------------------------------

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        config = {
            "network": self.settings.model_dump(),
            "features": {
                "seq_channels": list(SEQ_CHANNELS),
                "static_channels": list(STATIC_CHANNELS),
                "half_lives": list(HALF_LIVES),
            },
            "slot": self.slot,
            "origin": self.origin,
            "next_slot_index": None if self.state is None else self.state.t,
            "training": self.training,
        }
        tensors = {name: value.detach().numpy().copy() for name, value in self.net.state_dict().items()}
        if self.state is not None:
            tensors.update({STATE_PREFIX + name: value for name, value in self.state.arrays().items()})
            tensors[STATE_PREFIX + "items"] = self.items
        return config, tensors

    @classmethod
    def from_state(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> PopularityModel:
        """Rebuild and check everything: channels, settings, weight shapes, state shapes and values."""
        legacy = "network" not in config and "config" in config
        features = config if legacy else config.get("features", {})
        require(
            features.get("seq_channels") == list(SEQ_CHANNELS) and features.get("static_channels") == list(STATIC_CHANNELS),
            "saved with different input features than this viewcast uses",
        )
        require(legacy or features.get("half_lives") == list(HALF_LIVES), "saved with other decay half-lives")
        raw = config["config"] if legacy else config["network"]
        require(isinstance(raw, dict), "network settings are not an object")
        try:
            settings = NetworkSettings.parse({name: raw[name] for name in NetworkSettings.model_fields if name in raw})
        except ConfigError as exc:
            raise ModelLoadError(f"model state does not fit: setting {exc.param}: {exc.message}") from None
        net = _load_network(settings, {k: v for k, v in tensors.items() if not k.startswith(STATE_PREFIX)})
        if legacy or config.get("next_slot_index") is None:
            require(not any(k.startswith(STATE_PREFIX) for k in tensors), "feature state arrays without a slot index")
            return cls(
                net, settings, slot=None if legacy else config.get("slot"), training=raw if legacy else config.get("training")
            )
        slot, origin, t = config.get("slot"), config.get("origin"), config.get("next_slot_index")
        require(slot in (None, "hourly", "daily", "weekly", "monthly", "yearly"), f"unknown slot length {slot!r}")
        require(isinstance(origin, int) and isinstance(t, int) and t >= 0, "origin and next slot index must be whole numbers")
        items, state = _load_state(tensors, settings.window, t)
        return cls(net, settings, slot=slot, origin=origin, items=items, state=state, training=config.get("training"))

    def save(self, directory: str | os.PathLike[str], *, param: str | None = "out") -> Path:
        from viewcast.io.registry import save

        return save(self, directory, metrics=self.metrics, param=param)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.KIND,
            "network": self.settings.model_dump(),
            "slot": self.slot,
            "items": None if self.items is None else int(self.items.size),
            "next_slot": None if self.state is None else int(self.origin + self.state.t),
            "serves_from_saved_state": self.state is not None,
            "metrics": self.metrics,
        }

    # serving -----------------------------------------------------------------------------------

    def predict(self, request: Any) -> dict[str, Any]:
        """The next slot's top items for a request (see :mod:`viewcast.popularity.schema`)."""
        parsed = parse_request(request)
        slot_ids = [self._slot_id(entry.slot, f"slots.{i}.slot") for i, entry in enumerate(parsed.slots)]
        items = [np.fromiter(entry.counts.keys(), dtype=np.int64, count=len(entry.counts)) for entry in parsed.slots]
        counts = [np.fromiter(entry.counts.values(), dtype=np.float64, count=len(entry.counts)) for entry in parsed.slots]
        return self.rank(np.asarray(slot_ids, dtype=np.int64), items, counts, parsed.top).model_dump(mode="json")

    def _slot_id(self, value: int | Any, param: str) -> int:
        if isinstance(value, int):
            slot_id = value
        elif self.slot is None:
            raise DataValidationError(
                "this model does not know its slot length (saved by viewcast 0.1); give slot ids", param=param
            )
        else:
            seconds = value.timestamp()
            if not 0 <= seconds <= 253_402_300_799:
                raise DataValidationError("timestamp before 1970 or after 9999", param=param)
            slot_id = int(slot_of(np.array([int(seconds)]), self.slot)[0])
        limit = max_slot(self.slot) if self.slot is not None else 2**53
        if not 0 <= slot_id <= limit:
            raise DataValidationError(f"slot id {slot_id} is outside 0 .. {limit:,}", param=param)
        return slot_id

    def rank(self, slot_ids: np.ndarray, items: list[np.ndarray], counts: list[np.ndarray], top: int) -> PopularityAnswer:
        """Bring the state up to date with recent slots (ids ascending), then rank the next slot's items."""
        if slot_ids.size and np.any(np.diff(slot_ids) <= 0):
            raise DataValidationError("slots must be given in increasing order, each once", param="slots")
        if self.state is None and not slot_ids.size:
            raise DataValidationError(
                "this model holds no feature state (saved by viewcast 0.1); give the recent slots' counts", param="slots"
            )
        origin = self.origin if self.state is not None else int(slot_ids[0])
        if self.state is not None and slot_ids.size and slot_ids[0] < origin + self.state.t:
            raise DataValidationError(
                f"slot {int(slot_ids[0])} is not after the model's last slot {origin + self.state.t - 1}; give only newer slots",
                param="slots",
            )
        catalogue = self.items if self.items is not None else np.zeros(0, dtype=np.int64)
        catalogue, indices = _extend_catalogue(catalogue, items)
        state = (self.state or FeatureState.empty(0, self.settings.window)).grow(catalogue.size)
        state = advance(state, slot_ids - origin, indices, counts)
        next_block = Block(state, np.zeros((0, catalogue.size)), np.zeros(0))
        row = np.zeros(1, dtype=np.int64)
        candidates = next_block.candidates(row)
        cols = np.flatnonzero(candidates[0])
        if cols.size == 0:
            raise DataValidationError("no item has been requested yet: nothing to rank", param="slots")
        shares = predicted_shares(self._scores(next_block, cols), candidates, self.settings.loss)[0]
        order = cols[np.lexsort((cols, -shares[cols]))][:top]
        next_slot = origin + state.t
        return PopularityAnswer(
            slot=next_slot,
            slot_start=None if self.slot is None else slot_start(next_slot, self.slot),
            candidates=int(cols.size),
            items=[RankedItem(item=int(catalogue[i]), share=float(shares[i]), rank=r + 1) for r, i in enumerate(order)],
        )

    def _scores(self, block: Block, cols: np.ndarray) -> np.ndarray:
        rows = np.zeros(cols.size, dtype=np.int64)
        distinct, window_of = block.encoded_windows(rows, cols, self.settings.windows)
        values = self.net.score_all(
            torch.from_numpy(distinct), torch.from_numpy(window_of), torch.from_numpy(block.static(rows, cols))
        ).numpy()
        scores = np.full((1, block.m), -np.inf)
        scores[0, cols] = values
        return scores


def _extend_catalogue(catalogue: np.ndarray, items: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Item ids -> indices; ids never seen join the catalogue in order of first request."""
    index = {int(item): i for i, item in enumerate(catalogue)}
    new: list[int] = []
    for ids in items:
        for item in sorted(int(x) for x in ids):
            if item not in index:
                index[item] = catalogue.size + len(new)
                new.append(item)
    extended = np.concatenate([catalogue, np.asarray(new, dtype=np.int64)])
    return extended, [np.fromiter((index[int(x)] for x in ids), dtype=np.int64, count=ids.size) for ids in items]


def _load_network(settings: NetworkSettings, weights: dict[str, np.ndarray]) -> PopularityNet:
    net = PopularityNet(settings.cell, settings.hidden, settings.layers, settings.dropout)
    expected = net.state_dict()
    require(
        set(weights) == set(expected), f"weights {sorted(set(weights) ^ set(expected))[:4]} do not fit a {settings.cell} network"
    )
    for name, value in expected.items():
        require_shape(weights, name, tuple(value.shape))
    require_finite(weights)
    net.load_state_dict(
        {name: torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32)) for name, value in weights.items()}
    )
    return net.eval()


def _load_state(tensors: dict[str, np.ndarray], window: int, t: int) -> tuple[np.ndarray, FeatureState]:
    """The saved feature state, refused unless every array has the right shape and plausible values."""
    arrays = {name[len(STATE_PREFIX) :]: value for name, value in tensors.items() if name.startswith(STATE_PREFIX)}
    items = require_shape(arrays, "items", (None,))
    m = items.size
    require(
        np.issubdtype(items.dtype, np.integer) and (items >= 0).all() and np.unique(items).size == m,
        "item ids must be distinct whole numbers >= 0",
    )
    shapes = {
        "cum": (m,), "decayed": (len(HALF_LIVES), m), "first": (m,), "last": (m,), "last_share": (m,),
        "recent_count": (window, m), "recent_total": (window,), "rec_count": (m, window), "rec_share": (m, window), "rec_slot": (m, window),
    }  # fmt: skip
    for name, shape in shapes.items():
        require_shape(arrays, name, shape)
    require_finite(arrays, [n for n in shapes if np.issubdtype(arrays[n].dtype, np.floating)])
    for name in ("cum", "decayed", "recent_count", "recent_total", "rec_count"):
        require(bool((arrays[name] >= 0).all()), f"{name} holds negative counts")
    require(bool(((arrays["last_share"] >= 0) & (arrays["last_share"] <= 1)).all()), "last_share outside 0..1")
    require(bool(((arrays["rec_share"] >= 0) & (arrays["rec_share"] <= 1)).all()), "rec_share outside 0..1")
    for name in ("first", "last", "rec_slot"):
        require(np.issubdtype(arrays[name].dtype, np.integer), f"{name} must hold slot indices")
        require(bool(((arrays[name] >= -1) & (arrays[name] < t)).all()), f"{name} holds slot indices outside -1 .. {t - 1}")
    require(bool((arrays["last"] >= arrays["first"]).all()), "an item's last request precedes its first")
    state = FeatureState(t=t, **{name: arrays[name] for name in FeatureState.ARRAYS})
    return items.astype(np.int64), state
