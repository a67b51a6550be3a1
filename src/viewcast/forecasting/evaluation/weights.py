"""Per-series combination weights from backtest errors: ``w_m ∝ 1 / MAE_m²``.

A panel-wide choice of one model loses wherever series differ (the issue's panel D picked
seasonal naive for every series), and per-series *selection* by a dozen backtest windows is
noisy: the best member of the backtest is often not the best of the next month. Weighting every
member by its inverse squared backtest error keeps the good members in proportion and the bad
ones near zero; on the research panels it beat selection of any kind (docs/forecast.md).
"""

from __future__ import annotations

import numpy as np

#: Exponent of the inverse error: 2 (inverse squared MAE) beat 1 on the research panels.
POWER = 2.0
#: Member forecasts left out at each end of every day before weighting (a weighted trimmed mean).
#: Backtest skill ranks members only loosely for the next month; on 39 development, fresh and
#: other-kind panels dropping each day's highest and lowest member forecast lowered the worst
#: series panel from 1.12 to 1.03 times the best peer's error and put 22 instead of 18 totals at or
#: below the best peer's (docs/forecast.md).
TRIM = 1
#: Floor of an MAE, so that a perfect member gets a finite (overwhelming) weight.
TINY = 1e-9


def backtest_mae(actual: np.ndarray, forecasts: np.ndarray) -> np.ndarray:
    """``(series, members)`` mean absolute error over each series' backtest windows (NaN: none)."""
    errors = np.abs(actual[None] - forecasts)  # (members, series, origins, steps)
    counts = np.isfinite(errors).sum(axis=(2, 3))
    sums = np.nansum(errors, axis=(2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums / np.where(counts > 0, counts, np.nan)).T


def inverse_error_weights(mae: np.ndarray, power: float = POWER) -> np.ndarray:
    """``(series, members)`` weights summing to 1; a series with no backtest gets the panel's mean weights."""
    raw = np.maximum(mae, TINY) ** -power
    weights = raw / raw.sum(axis=1, keepdims=True)
    measured = np.isfinite(weights).all(axis=1)
    if not measured.all():
        fallback = weights[measured].mean(axis=0) if measured.any() else np.full(mae.shape[1], 1.0 / mae.shape[1])
        weights[~measured] = fallback / fallback.sum()
    return weights


def combine(weights: np.ndarray, forecasts: np.ndarray, trim: int = 0) -> np.ndarray:
    """Weighted forecast ``(series, ...)`` from member forecasts ``(members, series, ...)``.

    Where a member has no forecast (NaN: LightGBM at calendar origins, or from a history too short
    for it) the other members' weights are renormalised. With ``trim`` = k, each day's k highest
    and k lowest member forecasts are left out where at least 2k + 1 members have one (a weighted
    trimmed mean): a member that breaks on one series, whatever its backtest said, then cannot
    pull the combination (see :data:`TRIM`).
    """
    shape = (forecasts.shape[0], forecasts.shape[1]) + (1,) * (forecasts.ndim - 2)
    w = weights.T.reshape(shape)
    present = np.isfinite(forecasts)
    if trim:
        count = present.sum(axis=0)
        rank = np.argsort(np.argsort(np.where(present, forecasts, np.inf), axis=0, kind="stable"), axis=0)
        inner = (rank >= trim) & (rank < count - trim)
        present &= np.where(count > 2 * trim, inner, True)
    total = (w * present).sum(axis=0)
    summed = (w * np.where(present, forecasts, 0.0)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, summed / np.where(total > 0, total, 1.0), np.nan)


def leave_one_origin_out(actual: np.ndarray, forecasts: np.ndarray, trim: int) -> np.ndarray:
    """``(series, origins, window)`` combined forecasts, each origin's weighted on the other origins.

    Weights fitted on the same windows they are scored on flatter a pool in proportion to its
    size; this scores a combination the way its next month will meet it.
    """
    origins = actual.shape[1]
    out = np.full(actual.shape, np.nan)
    for k in range(origins):
        others = [j for j in range(origins) if j != k]
        weights = inverse_error_weights(backtest_mae(actual[:, others], forecasts[:, :, others]))
        out[:, k] = combine(weights, forecasts[:, :, k], trim)
    return out
