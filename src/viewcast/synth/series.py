"""Long, real-looking daily demand series with known structure (tests and benchmarks).

Page views and demand over a few hundred days show what the 50-day study sample cannot: trend
changes, weekly and yearly cycles, holidays, level shifts, noise that grows with the level, and
rare outliers. :func:`demand_series` draws such a series and :func:`count_panel` a panel of
overdispersed counts with level shifts and outliers; :func:`ets_series` and :func:`ar2_series`
draw from a known model family so tests can check that the backtest recognises the family that
generated the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def demand_series(days: int = 500, seed: int = 0, level: float = 10_000.0) -> np.ndarray:
    """Multiplicative trend x weekly x yearly x holidays x noise, with a level shift and outliers."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    knots = np.sort(rng.choice(np.arange(30, max(days - 30, 31)), size=3, replace=False)) if days > 90 else []
    slope = np.full(days, rng.normal(0.0008, 0.0008))
    for k in knots:
        slope[k:] = rng.normal(0.0005, 0.001)
    trend = np.exp(np.cumsum(slope))
    weekly_profile = 1 + rng.uniform(0.1, 0.35) * np.cos(2 * np.pi * (np.arange(7) - rng.integers(7)) / 7)
    weekly = weekly_profile[t % 7] / weekly_profile.mean()
    yearly = 1 + rng.uniform(0.0, 0.25) * np.sin(2 * np.pi * (t + rng.integers(365)) / 365.25)
    holidays = np.ones(days)
    for day in rng.choice(days, size=max(1, days // 120), replace=False):
        holidays[day : day + 2] *= rng.uniform(1.3, 2.0)
    shift = np.ones(days)
    if days > 200 and rng.random() < 0.5:
        shift[rng.integers(days // 3, days - 60) :] = rng.uniform(0.8, 1.25)
    noise = np.exp(rng.normal(0, rng.uniform(0.04, 0.12), days))
    outliers = np.where(rng.random(days) < 0.005, rng.uniform(0.3, 2.5, days), 1.0)
    return np.round(level * trend * weekly * yearly * holidays * shift * noise * outliers)


def ets_series(days: int = 400, seed: int = 0, level: float = 1000.0, noise_sd: float = 20.0) -> np.ndarray:
    """Additive-error ETS(A,N,A) with weekly season: local level plus a slowly evolving weekly profile."""
    rng = np.random.default_rng(seed)
    alpha, gamma = 0.3, 0.1
    season = list(rng.normal(0, 150, 7) - 0)
    out = np.empty(days)
    for t in range(days):
        s = season[t % 7]
        eps = rng.normal(0, noise_sd)
        out[t] = level + s + eps
        level += alpha * eps
        season[t % 7] = s + gamma * eps
    return out


def ar2_series(days: int = 400, seed: int = 0, mean: float = 1000.0, noise_sd: float = 20.0) -> np.ndarray:
    """AR(2) with complex roots: damped cycles of ~12 days that only an ARIMA model captures."""
    rng = np.random.default_rng(seed)
    phi1, phi2 = 1.6, -0.8
    x = np.zeros(days + 100)
    for t in range(2, days + 100):
        x[t] = phi1 * x[t - 1] + phi2 * x[t - 2] + rng.normal(0, noise_sd)
    return mean + x[100:]


def count_panel(series: int = 20, days: int = 760, seed: int = 0, common_growth: float = 1.0) -> dict[str, np.ndarray]:
    """Overdispersed daily counts per series, with the shocks that break weekly models.

    Each series: a level between 200 and 20,000 a day, a log-linear trend, a multiplicative weekly
    profile, a yearly wave, a slowly wandering level, zero to two level shifts, and zero to seven
    isolated outliers (a day at x0.2, x2.5 or x4: outages and viral days), drawn from a negative
    binomial with 20 degrees of overdispersion. ``common_growth`` multiplies every series' mean by
    that factor a year (a platform growing as a whole: the same draws otherwise).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    out = {}
    for i in range(series):
        level = np.exp(rng.uniform(np.log(200), np.log(20_000)))
        growth = rng.normal(0.0, 0.6) / 365
        weekly = np.exp(rng.normal(0, 0.25, 7))
        weekly /= weekly.mean()
        log_mean = np.log(level) + growth * t + rng.uniform(0, 0.25) * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 2 * np.pi))
        log_mean += np.cumsum(rng.normal(0, 0.01, days))
        for _ in range(rng.integers(0, 3)):
            log_mean[rng.integers(days // 4, days - 5) :] += rng.normal(0, 0.3)
        mean = np.exp(log_mean + np.log(common_growth) / 365 * t) * weekly[t % 7]
        y = rng.negative_binomial(20, 20 / (20 + mean)).astype(float)
        spikes = rng.choice(days, size=rng.integers(0, 8), replace=False)
        y[spikes] *= rng.choice([0.2, 2.5, 4.0], size=len(spikes))
        out[f"s{seed}_{i:02d}"] = np.round(y)
    return out


def to_long(series: dict[str, np.ndarray], start: str = "2024-01-01") -> pd.DataFrame:
    """Long ``unique_id, ds, y`` frame with ISO dates (the statsforecast format)."""
    frames = [
        pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(y), freq="D").strftime("%Y-%m-%d"), "y": y})
        for uid, y in series.items()
    ]
    return pd.concat(frames, ignore_index=True)
