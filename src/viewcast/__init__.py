"""viewcast: forecast and explain audience demand on content platforms.

The notebook API mirrors the CLI: ``viewcast.forecast(df, horizon=30)`` returns a result object
with the forecast, metrics, capacity plan and ``.save(dir)``. Heavy dependencies (torch,
statsforecast) load on first use so that ``import viewcast`` and ``viewcast --help`` stay fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "forecast"]


def forecast(data: Any, **kwargs: Any) -> Any:
    """Forecast daily views; see :func:`viewcast.forecasting.pipeline.run_forecast` for options."""
    from viewcast.forecasting.pipeline import run_forecast

    return run_forecast(data, **kwargs)
