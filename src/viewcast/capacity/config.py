"""Every option of a capacity plan: the forecast's and the costs', validated before any work.

The costs and conversions are :class:`~viewcast.forecasting.config.CapacityConfig`'s (the same
options a forecast's own plan takes), flat, so ``viewcast.capacity(data, lead_time_days=3)`` and
``--lead-time-days 3`` name them directly; the forecast options are the few a plan needs.
"""

from __future__ import annotations

from pydantic import Field

from viewcast.forecasting.config import MAX_HORIZON, By, CapacityConfig, ForecastConfig, GapPolicy, ModelChoice


class CapacityPlanConfig(CapacityConfig):
    """Costs, lead time and conversions (inherited), and how the total's views are forecast."""

    horizon: int = Field(30, ge=1, le=MAX_HORIZON, description="days to plan")
    by: By = Field("total", description="forecast the total directly, or bottom-up from categories or creators")
    model: ModelChoice = Field("auto", description="the views forecast's model (auto: its combination)")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    fill_gaps: GapPolicy = Field("interpolate", description="how missing creator-days inside a series are filled")
    backtest_windows: int = Field(
        12, ge=1, le=52, description="weekly backtest origins of the forecast, and so weekly plans replayed"
    )
    threads: int | None = Field(None, ge=1, le=256, description="torch threads; None = VIEWCAST_TORCH_THREADS or 1")
    progress: bool = Field(True, description="progress bars where someone watches")
    holidays: str = Field("US", description="country whose public holidays the views forecast knows, or none")

    def costs(self) -> CapacityConfig:
        """The cost and conversion options alone."""
        return CapacityConfig.parse({name: getattr(self, name) for name in CapacityConfig.model_fields})

    def forecast_config(self) -> ForecastConfig:
        """The views forecast this plan rests on."""
        forecast = {"horizon", "by", "model", "seed", "fill_gaps", "backtest_windows", "threads", "progress", "holidays"}
        return ForecastConfig.parse({name: getattr(self, name) for name in forecast}, capacity=self.costs())
