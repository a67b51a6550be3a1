"""The band calibration of viewcast 0.1 and 0.2: errors scaled by a growth profile ``a * h**b``.

Read-only: it rebuilds a saved calibration and draws the bands it drew (see the package docstring).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from viewcast.io.persist import require

LEVELS = (80, 95)


@dataclass
class GrowthCalibration:
    growth_a: float
    growth_b: float
    quantiles: dict[str, tuple[float, float]]  # level -> (lower, upper) normalised score
    scores: int
    backtest_horizon: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GrowthCalibration:
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

    def bands(self, point: np.ndarray, scale: np.ndarray, offsets: np.ndarray | None = None) -> dict[str, tuple]:
        """Nested bands per level for ``point`` ``(series, days)``, never below zero."""
        offsets = np.zeros(len(point), dtype=int) if offsets is None else np.asarray(offsets, dtype=int)
        growth = self.growth(point.shape[1] + int(offsets.max(initial=0)))
        width = scale[:, None] * np.stack([growth[o : o + point.shape[1]] for o in offsets])
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        inner_lo, inner_hi = point, point
        for level in sorted(self.quantiles, key=float):
            q_lo, q_hi = self.quantiles[level]
            lo = np.minimum(point + width * q_lo, inner_lo)
            hi = np.maximum(point + width * q_hi, inner_hi)
            out[level] = (np.maximum(lo, 0.0), np.maximum(hi, 0.0))
            inner_lo, inner_hi = lo, hi
        return out
