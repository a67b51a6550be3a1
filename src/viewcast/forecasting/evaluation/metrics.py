"""Accuracy measures of backtests and held-out forecasts.

``seasonal_scale`` is MASE's denominator (the in-sample error of the weekly seasonal naive);
``relative_mae`` and ``geometric_mean`` give the relative MAE against seasonal naive, averaged
geometrically over series, which is how the issue (and benchmarks/forecast_panels.py) compares
forecasters: a ratio per series, so that large series do not drown small ones.
"""

from __future__ import annotations

import numpy as np

from viewcast.forecasting.config import SEASON


def seasonal_scale(history: np.ndarray, season: int = SEASON) -> float:
    """In-sample MAE of the seasonal naive forecast: MASE's denominator for one series.

    Falls back to lag 1 when the history is shorter than two seasons, and to the mean level when
    the series is constant, so that the scale is never zero.
    """
    history = np.asarray(history, dtype=float)
    lag = season if len(history) > 2 * season else 1
    if len(history) > lag:
        scale = float(np.mean(np.abs(history[lag:] - history[:-lag])))
        if scale > 0:
            return scale
    level = float(np.mean(np.abs(history))) if len(history) else 0.0
    return level if level > 0 else 1.0


def geometric_mean(values: np.ndarray) -> float | None:
    """Geometric mean of the finite positive values (None when there are none)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    return float(np.exp(np.mean(np.log(values)))) if len(values) else None


def relative_mae(mae: np.ndarray, benchmark_mae: np.ndarray) -> float | None:
    """Geometric mean over series of MAE / the benchmark's MAE (below 1: better than the benchmark)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return geometric_mean(np.asarray(mae, dtype=float) / np.asarray(benchmark_mae, dtype=float))
