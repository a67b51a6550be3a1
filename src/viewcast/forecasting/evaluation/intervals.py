"""Conformal prediction intervals from rolling-origin backtest errors, the same for every model.

Model-based intervals (ETS's or ARIMA's Gaussian bands) assume the model is right; the LSTM has
none at all. Instead each model's backtest errors are normalised by the series' scale (the MASE
denominator at that origin) and by a horizon profile ``g(h) = a * h**b`` fitted to their mean
size, pooled across steps, windows and series, and the empirical quantiles of these scores give
the bands: ``point + scale * g(h) * q``. Signed quantiles keep a model's bias (e.g. one that
under-forecasts growth) in its band. ``b`` is clipped to [0, 1]: errors do not shrink with the
horizon and grow at most linearly. Because the profile is parametric it extends beyond the
backtest window when the history only allowed short windows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from viewcast.io.persist import require

LEVELS = (80, 95)


@dataclass
class Calibration:
    growth_a: float
    growth_b: float
    quantiles: dict[str, tuple[float, float]]  # level -> (lower, upper) normalised score
    scores: int
    backtest_horizon: int

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """A saved calibration, refused (``ModelLoadError``) unless it can make sensible bands."""
        require(isinstance(data, Mapping) and isinstance(data.get("quantiles"), Mapping), "interval calibration is missing")
        quantiles = {str(k): (float(v[0]), float(v[1])) for k, v in data["quantiles"].items()}
        require(set(quantiles) == {str(level) for level in LEVELS}, f"interval calibration must cover levels {LEVELS}")
        bounds = [bound for pair in quantiles.values() for bound in pair]
        require(all(math.isfinite(b) for b in bounds), "interval calibration holds non-finite bounds")
        require(all(lo <= hi for lo, hi in quantiles.values()), "interval calibration has a lower bound above its upper")
        a, b = float(data["growth_a"]), float(data["growth_b"])
        require(math.isfinite(a) and a > 0 and 0.0 <= b <= 1.0, f"interval growth profile {a!r} * h^{b!r} is invalid")
        scores, steps = int(data["scores"]), int(data["backtest_horizon"])
        require(scores >= 1 and steps >= 1, "interval calibration rests on no backtest errors")
        return cls(a, b, quantiles, scores, steps)

    def growth(self, horizon: int) -> np.ndarray:
        return self.growth_a * np.arange(1, horizon + 1) ** self.growth_b


def _conformal_quantile(sorted_scores: np.ndarray, probability: float) -> float:
    """Finite-sample conformal order statistic; clamps to the extremes for tiny samples."""
    n = len(sorted_scores)
    if probability >= 0.5:
        k = math.ceil((n + 1) * probability)
    else:
        k = math.floor((n + 1) * probability)
    return float(sorted_scores[min(max(k, 1), n) - 1])


def calibrate(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray, levels=LEVELS) -> Calibration:
    """Fit the horizon profile and score quantiles from ``(series, windows, steps)`` errors."""
    errors = (actual - forecast) / scale[..., None]
    steps = errors.shape[-1]
    mean_abs = np.abs(errors).reshape(-1, steps).mean(axis=0)
    mean_abs = np.maximum(mean_abs, 1e-9)
    h = np.arange(1, steps + 1)
    if steps >= 3:
        b, log_a = np.polyfit(np.log(h), np.log(mean_abs), 1)
        b = float(np.clip(b, 0.0, 1.0))
    else:
        b = 0.5
    a = float(np.exp(np.mean(np.log(mean_abs) - b * np.log(h))))
    scores = np.sort((errors / (a * h**b)).ravel())
    quantiles = {
        str(level): (
            _conformal_quantile(scores, (1 - level / 100) / 2),
            _conformal_quantile(scores, 1 - (1 - level / 100) / 2),
        )
        for level in levels
    }
    return Calibration(a, b, quantiles, int(scores.size), int(steps))


def bands(
    point: np.ndarray, scale: np.ndarray, calibration: Calibration, offsets: np.ndarray | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Lower/upper bounds per level for ``point`` shaped ``(series, horizon)``; never below zero.

    ``offsets[i]`` steps already lie between series ``i``'s last observation and the first
    column (a series that ended early), so its error growth starts further along.

    The point forecast always lies inside its own bands (a user reads a band that excludes the
    forecast as a bug), and bands are nested: the 95% band contains the 80% band.
    """
    offsets = np.zeros(len(point), dtype=int) if offsets is None else np.asarray(offsets, dtype=int)
    growth = calibration.growth(point.shape[1] + int(offsets.max(initial=0)))
    width = scale[:, None] * np.stack([growth[o : o + point.shape[1]] for o in offsets])
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    inner_lo, inner_hi = point, point
    for level in sorted(calibration.quantiles, key=float):
        q_lo, q_hi = calibration.quantiles[level]
        lo = np.minimum(point + width * q_lo, inner_lo)
        hi = np.maximum(point + width * q_hi, inner_hi)
        out[level] = (np.maximum(lo, 0.0), np.maximum(hi, 0.0))
        inner_lo, inner_hi = lo, hi
    return out


def coverage(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray, levels=LEVELS) -> dict[str, float | None]:
    """Honest coverage: calibrate on all windows but one, count hits in the held-out window."""
    windows = actual.shape[1]
    if windows < 2:
        return {str(level): None for level in levels}
    hits = {str(level): [] for level in levels}
    for w in range(windows):
        keep = [i for i in range(windows) if i != w]
        calib = calibrate(actual[:, keep], forecast[:, keep], scale[:, keep], levels)
        held = bands(np.maximum(forecast[:, w], 0.0), scale[:, w], calib)
        for level, (lo, hi) in held.items():
            hits[level].append(((actual[:, w] >= lo) & (actual[:, w] <= hi)).ravel())
    return {level: float(np.mean(np.concatenate(h))) for level, h in hits.items()}
