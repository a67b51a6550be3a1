"""Every option of a views forecast, validated before any work.

Every number has a stated range, and only finite numbers are accepted: an infinite cost per
server-day or a headroom of -1 would otherwise surface much later as a nonsense capacity plan.
Defaults are the study's (LSTM recipe) or stated planning assumptions (capacity); set the latter
from your own load tests.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from viewcast.compute import BackendConfig
from viewcast.contracts import Config
from viewcast.forecasting.models import MODEL_NAMES
from viewcast.io.tables import MAX_COUNT

#: Days ahead a forecast may reach: two years of daily values.
MAX_HORIZON = 730
#: Weekly season of daily views (seasonal naive lag, MASE scale, statistical models).
SEASON = 7

#: ``model`` choices: ``auto`` (per-series combination of the pool) or any single model of the pool.
ModelChoice = Literal[("auto", *MODEL_NAMES)]  # type: ignore[valid-type]
By = Literal["total", "category", "creator"]
GapPolicy = Literal["interpolate", "zero", "ffill", "error"]

_FINITE = ConfigDict(extra="forbid", allow_inf_nan=False)


class LSTMRecipe(Config):
    """Hyper-parameters of the study's LSTM; the defaults are the study's.

    The seed and the torch threads are the forecast's own (:attr:`ForecastConfig.seed`,
    :attr:`ForecastConfig.threads`), so that one seed makes a whole run reproducible.
    """

    model_config = _FINITE

    window: int = Field(10, ge=1, le=365, description="previous days that predict the next")
    units: int = Field(50, ge=1, le=1024, description="units per LSTM layer")
    layers: int = Field(2, ge=1, le=8, description="stacked LSTM layers")
    dropout: float = Field(0.4, ge=0, lt=1, description="dropout after each LSTM layer")
    train_fraction: float = Field(0.8, gt=0, lt=1, description="chronological train part of each series")
    learning_rate: float = Field(1e-3, gt=0, le=1, description="Adam learning rate")
    batch_size: int = Field(8, ge=1, le=65_536)
    max_epochs: int = Field(50, ge=1, le=10_000)
    patience: int = Field(10, ge=1, le=10_000, description="epochs without improvement before stopping")

    def min_history(self) -> int:
        """Shortest series with a few training windows and at least two validation targets."""
        return max(math.ceil((self.window + 5) / self.train_fraction), self.window + 10)


class CapacityConfig(Config):
    """What a server and a shortfall cost, and how views become servers (see :mod:`viewcast.forecasting.capacity`).

    The plan is a cost decision: each day's fleet is the newsvendor optimum on that day's forecast
    distribution, a reserved baseline is held where reserving pays in expectation, and on-demand
    servers cover the rest. Defaults are stated planning assumptions; set them from your own
    load tests and price list.
    """

    model_config = _FINITE

    views_per_server_day: float = Field(
        5_000_000, ge=1, le=MAX_COUNT, description="views one server handles per day at an even rate"
    )
    peak_factor: float = Field(2.0, ge=1, le=1_000, description="busiest hour's rate / day's average rate")
    headroom: float = Field(
        0.0, ge=0, le=100, description="explicit spare fraction on top of the planned fleet (the quantile already covers risk)"
    )
    cost_per_server_day: float = Field(48.0, ge=0, le=1e9, description="on-demand cost of one server for one day (USD)")
    reserved_cost_per_server_day: float = Field(
        30.0, ge=0, le=1e9, description="reserved cost of one server-day (USD); at or above on-demand: no reserved fleet"
    )
    shortfall_cost_per_million_views: float = Field(
        500.0, ge=0, le=1e12, description="cost of one million views the fleet could not serve (USD)"
    )
    shortfall_cost_per_day: float = Field(0.0, ge=0, le=1e12, description="penalty for each day the fleet falls short (USD)")
    lead_time_days: int = Field(
        1, ge=0, le=365, description="days between ordering servers and having them (1: cloud servers ordered today run tomorrow)"
    )
    min_reserved_servers: int = Field(0, ge=0, le=10**12, description="minimum reserved commitment (servers)")
    service_level: float | None = Field(
        None, gt=0, lt=1, validate_default=True, description="plan at this quantile instead of the cost optimum (e.g. 0.99)"
    )
    rule_headroom: float = Field(0.2, ge=0, le=100, description="headroom of the old 95%-bound rule the plan is compared with")

    @field_validator("service_level")
    @classmethod
    def _shortfall_has_a_price(cls, level: float | None, info: ValidationInfo) -> float | None:
        """A plan needs a price of running short or a service level (checked here, where ``param`` can name it)."""
        if (
            level is None
            and not info.data.get("shortfall_cost_per_million_views")
            and not info.data.get("shortfall_cost_per_day")
        ):
            raise ValueError(
                "with no cost of a shortfall the cheapest plan is no servers: set a service level, "
                "shortfall_cost_per_million_views or shortfall_cost_per_day"
            )
        return level


class ForecastConfig(BackendConfig):
    """Everything a forecast run depends on.

    It inherits ``backend``, ``scheduler`` and ``workers`` (:class:`~viewcast.compute.BackendConfig`):
    with ``backend="dask"`` the per-series statistical fits and backtests run on a Dask cluster,
    ``viewcast.forecast(data, backend="dask", scheduler="tcp://...")``, with the local run's numbers.
    """

    model_config = _FINITE

    horizon: int = Field(30, ge=1, le=MAX_HORIZON, description="days to forecast")
    model: ModelChoice = Field("auto", description="auto combines the pool per series by backtest error; or one model alone")
    by: By = Field("total", description="forecast the total, per category or per creator")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of LightGBM and the LSTM")
    fill_gaps: GapPolicy = Field("interpolate", description="how missing creator-days inside a series are filled")
    backtest_windows: int = Field(12, ge=1, le=52, description="weekly backtest origins at most (fewer on short histories)")
    threads: int | None = Field(None, ge=1, le=256, description="torch threads; None = VIEWCAST_TORCH_THREADS or 1")
    progress: bool = Field(True, description="progress bars where someone watches")
    study_lstm: bool = Field(
        False, description="also train the study's LSTM for its train/test table (it does not enter an auto forecast)"
    )
    lstm: LSTMRecipe = Field(default_factory=LSTMRecipe)
    capacity: CapacityConfig = Field(default_factory=CapacityConfig)
    holidays: str = Field(
        "US",
        description="country whose public holidays an auto forecast knows (a code of the holidays package: US, GB, DE...) or none",
    )

    @field_validator("holidays")
    @classmethod
    def _known_calendar(cls, value: str) -> str:
        from viewcast.forecasting.holiday_effects import NO_CALENDAR, supported_countries

        code = value.strip()
        if code.lower() == NO_CALENDAR:
            return NO_CALENDAR
        if code.upper() not in supported_countries():
            raise ValueError(f"no holiday calendar for {value!r}: give a country code such as US, GB or DE, or none")
        return code.upper()

    @property
    def holiday_country(self) -> str | None:
        """The holiday calendar's country, or None."""
        from viewcast.forecasting.holiday_effects import NO_CALENDAR

        return None if self.holidays == NO_CALENDAR else self.holidays
