"""Every option of the popularity analysis, validated before any work.

Three configs, one per kind of work: :class:`PrepareConfig` (ratings -> per-slot counts),
:class:`PopularityConfig` (prepare if needed, train, evaluate, replay through caches) and
:class:`SweepConfig` (a grid of ``PopularityConfig`` runs from a TOML file). Errors name the API
parameter (``window``, ``cache_sizes``, ``grid.cell``); the CLI spells them as flags.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import Field, field_validator

from viewcast.contracts import Config
from viewcast.errors import ConfigError

Slot = Literal["hourly", "daily", "weekly", "monthly", "yearly"]
Windows = Literal["slots", "records"]
Cell = Literal["lstm", "gru", "rnn", "cnn_lstm"]
Loss = Literal["mse", "rmse", "mae", "huber", "cross_entropy"]
Optimizer = Literal["adam", "sgd", "rmsprop"]
Policy = Literal["lru", "lfu", "arc", "s3fifo", "wtinylfu", "sieve", "belady", "belady_bypass"]

SLOTS: tuple[str, ...] = ("hourly", "daily", "weekly", "monthly", "yearly")
CELLS: tuple[str, ...] = ("lstm", "gru", "rnn", "cnn_lstm")
LOSSES: tuple[str, ...] = ("mse", "rmse", "mae", "huber", "cross_entropy")
POLICIES: tuple[str, ...] = ("lru", "lfu", "arc", "s3fifo", "wtinylfu", "sieve", "belady", "belady_bypass")
#: Cache sizes of issue 12, as fractions of the catalogue (items requested anywhere in the log).
CACHE_SIZES = (0.001, 0.005, 0.01, 0.05, 0.1)
#: The learned cache's settings tried per cache size on validation (viewcast.popularity.learned_policy).
LEARNED_BETAS = (0.0, 0.01, 0.1, 1.0, 10.0)
LEARNED_WINDOWS = (0.0, 0.1, 0.5)
_MEMORY = r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$"


class PrepareConfig(Config):
    """How ratings become per-slot request counts (and the study's windows)."""

    slot: Slot = "daily"
    window: int = Field(10, ge=1, le=100, description="previous steps in each of the study's windows")
    windows: Windows = Field("records", description="style of the study's windows written by prepare")
    memory_limit: str = Field("2GB", pattern=_MEMORY, description="DuckDB memory cap (it spills beyond)")
    threads: int = Field(2, ge=1, le=256, description="DuckDB threads")


class PopularityConfig(Config):
    """Train a recurrent popularity scorer and judge it as a cache would (see docs/popularity.md).

    ``slot``, ``memory_limit`` and ``threads`` only matter when ``data`` still has to be
    prepared; a prepared folder keeps its own slot (asking for another one is an error).
    """

    slot: Slot = "daily"
    memory_limit: str = Field("2GB", pattern=_MEMORY)
    threads: int = Field(2, ge=1, le=256)
    # features and training examples
    window: int = Field(10, ge=1, le=100)
    windows: Windows = "slots"
    group_size: int = Field(128, ge=2, le=100_000, description="candidates per training example (one slot each)")
    groups_per_slot: int = Field(4, ge=1, le=1000)
    val_fraction: float = Field(0.15, gt=0, lt=0.5)
    test_fraction: float = Field(0.15, gt=0, lt=0.5)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    # network and optimisation
    cell: Cell = "lstm"
    hidden: int = Field(32, ge=1, le=4096)
    layers: int = Field(1, ge=1, le=16)
    dropout: float = Field(0.0, ge=0, lt=1)
    batch_size: int = Field(16, ge=1, le=1_000_000, description="candidate groups per batch")
    learning_rate: float = Field(1e-3, gt=0, le=10)
    optimizer: Optimizer = "adam"
    loss: Loss = "cross_entropy"
    max_epochs: int = Field(30, ge=1, le=100_000)
    patience: int = Field(5, ge=1)
    max_batches_per_epoch: int | None = Field(None, ge=1)
    # replay of the request stream through caches
    replay: bool = Field(True, description="replay the test period through cache policies")
    policies: list[Policy] = Field(default_factory=lambda: list(POLICIES), min_length=1)
    cache_sizes: list[float] = Field(default_factory=lambda: list(CACHE_SIZES), min_length=1, max_length=20)
    learned_policy: bool = Field(True, description="also replay the cache driven by the model's predictions")
    learned_betas: list[float] = Field(
        default_factory=lambda: list(LEARNED_BETAS),
        min_length=1,
        max_length=20,
        description="weights of within-slot counts tried per cache size on validation (learned policy)",
    )
    learned_windows: list[float] = Field(
        default_factory=lambda: list(LEARNED_WINDOWS),
        min_length=1,
        max_length=10,
        description="LRU window shares of the cache tried per cache size on validation (learned policy)",
    )
    progress: bool = Field(True, description="progress bars (shown only where someone watches)")

    @field_validator("loss", mode="before")
    @classmethod
    def _dashes(cls, value: Any) -> Any:
        return value.replace("-", "_") if isinstance(value, str) else value

    @field_validator("cache_sizes")
    @classmethod
    def _fractions(cls, sizes: list[float]) -> list[float]:
        if any(not (0 < size <= 1) for size in sizes):
            raise ValueError("cache sizes are fractions of the catalogue: each must be above 0 and at most 1")
        return sorted(set(sizes))

    @field_validator("learned_betas", "learned_windows")
    @classmethod
    def _grid(cls, values: list[float], info: Any) -> list[float]:
        upper = 1e6 if info.field_name == "learned_betas" else 1.0
        if any(not (0 <= value < upper) for value in values):
            raise ValueError(f"each must be at least 0 and below {upper:g}")
        return sorted(set(values))

    @field_validator("policies")
    @classmethod
    def _distinct(cls, policies: list[str]) -> list[str]:
        return list(dict.fromkeys(policies))

    def data_key(self) -> str:
        """What decides the training examples: runs that share it share one feature pass."""
        return self.model_dump_json(
            include={"window", "windows", "group_size", "groups_per_slot", "val_fraction", "test_fraction", "seed"}
        )


class SweepConfig(Config):
    """A TOML sweep: ``prepared`` folder, ``[fixed]`` settings and a ``[grid]`` of lists."""

    prepared: str | None = None
    fixed: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)

    @field_validator("grid")
    @classmethod
    def _lists(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name, values in grid.items():
            if not values:
                raise ValueError(f"grid.{name} is an empty list")
        return grid

    def runs(self) -> list[PopularityConfig]:
        """Every combination of the grid over the fixed settings, each validated (before any training)."""
        names = list(self.grid)
        for name in names:
            if name in self.fixed:
                raise ConfigError("is set in both [fixed] and [grid]", param=f"grid.{name}")
        runs = []
        for values in itertools.product(*(self.grid[name] for name in names)):
            settings = {**self.fixed, **dict(zip(names, values))}
            try:
                runs.append(PopularityConfig.parse(settings))
            except ConfigError as exc:
                where = "grid" if exc.param in self.grid else "fixed"
                raise ConfigError(exc.message, param=f"{where}.{exc.param}" if exc.param else where) from None
        return runs
