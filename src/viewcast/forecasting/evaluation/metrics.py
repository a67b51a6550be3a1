"""Forecast accuracy on backtest windows: MASE, sMAPE, RMSE and the error of the window total.

All functions take arrays shaped ``(series, windows, steps)`` for actuals and forecasts and
``(series, windows)`` for the MASE scale, so one call scores a whole backtest.
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


def mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> float:
    return float(np.mean(np.mean(np.abs(actual - forecast), axis=-1) / scale))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0..200); days where both are zero count as perfect."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(2 * np.abs(actual - forecast), denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return float(100 * np.mean(ratio))


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.sqrt(np.mean((actual - forecast) ** 2)))


def total_error_pct(actual: np.ndarray, forecast: np.ndarray) -> tuple[float, float]:
    """Mean absolute and mean signed % error of each window's total (what capacity is bought on)."""
    actual_total = actual.sum(axis=-1)
    error = (forecast.sum(axis=-1) - actual_total) / np.where(actual_total > 0, actual_total, 1.0)
    return float(100 * np.mean(np.abs(error))), float(100 * np.mean(error))


def score(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> dict[str, float]:
    abs_total, bias_total = total_error_pct(actual, forecast)
    return {
        "mase": mase(actual, forecast, scale),
        "smape": smape(actual, forecast),
        "rmse": rmse(actual, forecast),
        "total_abs_error_pct": abs_total,
        "total_bias_pct": bias_total,
    }
