"""viewcast: forecast and explain audience demand on content platforms.

Four analyses with one shape — ``run(data, config) -> Result`` — and one way to load any saved
model::

    import viewcast

    result = viewcast.forecast("views.csv", horizon=30, by="creator")
    result.save("reports/run1")              # forecast.csv, metrics.json, plots, report.html
    result.model.save("models/views")        # safetensors + JSON, checksummed (signed with a key)
    viewcast.load_model("models/views").predict(new_history)

``viewcast.capacity``, ``viewcast.followers``, ``viewcast.claims`` and ``viewcast.popularity`` work the
same way. Each
takes a table (a path or a pandas DataFrame) and either a config object or its options as
keywords. Heavy dependencies (torch, statsforecast, duckdb) load on first use, so ``import
viewcast`` and ``viewcast --help`` stay fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from viewcast._version import __version__
from viewcast.errors import ViewcastError

if TYPE_CHECKING:
    from viewcast.capacity.result import CapacityResult
    from viewcast.claims.result import ClaimsResult
    from viewcast.followers.result import FollowersResult
    from viewcast.forecasting.result import ForecastResult
    from viewcast.popularity.result import PopularityResult

__all__ = ["__version__", "ViewcastError", "capacity", "claims", "followers", "forecast", "load_model", "popularity"]


def forecast(data: Any, config: Any = None, /, **options: Any) -> ForecastResult:
    """Forecast daily views with intervals and a capacity plan (options: :class:`ForecastConfig`)."""
    from viewcast.forecasting.config import ForecastConfig
    from viewcast.forecasting.pipeline import run

    return run(data, ForecastConfig.parse(config, **options))


def capacity(data: Any, config: Any = None, /, **options: Any) -> CapacityResult:
    """Servers as a cost decision on the forecast's quantiles, and what past plans would have cost (options: :class:`CapacityPlanConfig`)."""
    return import_module("viewcast.capacity")(data, config, **options)


def followers(data: Any, config: Any = None, /, **options: Any) -> FollowersResult:
    """Which videos bring followers: OLS with a plain-language reading (options: :class:`FollowersConfig`)."""
    return import_module("viewcast.followers")(data, config, **options)


def claims(data: Any, config: Any = None, /, **options: Any) -> ClaimsResult:
    """Train a claim-vs-opinion classifier on labelled videos (options: :class:`ClaimsConfig`)."""
    return import_module("viewcast.claims")(data, config, **options)


def popularity(data: Any, config: Any = None, /, **options: Any) -> PopularityResult:
    """Per-slot content popularity from request logs, judged as a cache (options: :class:`PopularityConfig`)."""
    return import_module("viewcast.popularity")(data, config, **options)


def load_model(directory: Any) -> Any:
    """Load any saved viewcast model folder; the model's ``predict`` answers new requests."""
    from viewcast.io.registry import load_model as _load

    return _load(directory)
