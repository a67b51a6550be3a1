"""Causal cleaning of isolated outliers before a model sees a history.

A holiday dip, an outage or a one-day viral spike in the last training week is copied by seasonal
naive into every forecast week and bends ETS, Theta and MSTL for weeks; on the research panels
(docs/forecast.md) cleaning was the largest single gain of the recipe. The rule:

* the baseline of day ``t`` is the median of the same weekday over the previous four weeks,
  ``b_t = median(y[t-7], y[t-14], y[t-21], y[t-28])``, and ``r_t = y_t - b_t``;
* with ``sigma = 1.4826 * MAD(r)`` (a robust standard deviation), day ``t`` is flagged when
  ``|r_t - median(r)| > 4 sigma``;
* flagged runs of the same sign lasting at most two days are replaced by their baseline; longer
  runs are level shifts that the models must follow, and are kept.

The rule only looks back, and each backtest origin cleans its own prefix, so no backtest sees the
future. Only what the models fit and forecast from is cleaned: the actual values that score
backtests and calibrate intervals stay raw, so outliers still widen the bands they belong in.
"""

from __future__ import annotations

import numpy as np

#: Robust standard deviations beyond which a day is an outlier.
THRESHOLD = 4.0
#: Longest run of flagged days that is replaced; longer runs are level shifts.
MAX_RUN = 2
#: Days of the same-weekday baseline (four weeks).
BASELINE_DAYS = 28
#: Shortest history that is cleaned: four weeks of baseline plus four weeks to judge against it.
MIN_DAYS = 2 * BASELINE_DAYS


def weekday_baseline(y: np.ndarray) -> np.ndarray:
    """Median of the same weekday over the previous four weeks (NaN for the first 28 days)."""
    n = len(y)
    base = np.full(n, np.nan)
    if n > BASELINE_DAYS:
        lags = np.sort(np.stack([y[BASELINE_DAYS - 7 * j : n - 7 * j] for j in range(1, 5)]), axis=0)
        base[BASELINE_DAYS:] = 0.5 * (lags[1] + lags[2])
    return base


def clean(y: np.ndarray, threshold: float = THRESHOLD, max_run: int = MAX_RUN) -> np.ndarray:
    """A copy of ``y`` with isolated outliers replaced by their same-weekday baseline."""
    y = np.asarray(y, dtype=float)
    out = y.copy()
    if len(y) < MIN_DAYS:
        return out
    base = weekday_baseline(y)
    residual = y[BASELINE_DAYS:] - base[BASELINE_DAYS:]
    deviation = residual - np.median(residual)
    sigma = 1.4826 * np.median(np.abs(deviation))
    if not sigma > 0:
        return out
    flagged = np.flatnonzero(np.abs(deviation) > threshold * sigma) + BASELINE_DAYS
    if len(flagged) == 0:
        return out
    sign = np.sign(deviation[flagged - BASELINE_DAYS])
    # runs of consecutive flagged days with the same sign
    breaks = np.flatnonzero((np.diff(flagged) != 1) | (np.diff(sign) != 0)) + 1
    for run in np.split(flagged, breaks):
        if len(run) <= max_run:
            out[run] = base[run]
    return out
