"""A small panel with a known demand distribution, and one capacity run on it shared by the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from viewcast.capacity.config import CapacityPlanConfig
from viewcast.capacity.pipeline import run

#: One server handles 10,000 views a day at peak factor 2: the total (about 2M a day) needs ~400;
#: a million unserved views cost $100,000, so a server-day short ($500) costs 10x an idle one ($48).
OPTIONS = {
    "views_per_server_day": 10_000.0,
    "shortfall_cost_per_million_views": 100_000.0,
    "horizon": 14,
    "model": "seasonal_naive",
    "progress": False,
}


def weekly_panel(days: int = 160, seed: int = 0) -> pd.DataFrame:
    """Two creators: a weekly pattern around 1M views a day each, with 4% normal noise."""
    rng = np.random.default_rng(seed)
    weekday = 1 + 0.25 * np.sin(np.arange(days) * 2 * np.pi / 7)
    dates = pd.date_range("2024-01-01", periods=days, freq="D").strftime("%Y-%m-%d")
    rows = [
        pd.DataFrame({"unique_id": uid, "ds": dates, "y": np.round(1e6 * weekday * rng.normal(1, 0.04, days))})
        for uid in ("a", "b")
    ]
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="session")
def panel() -> pd.DataFrame:
    return weekly_panel()


@pytest.fixture(scope="session")
def result(panel):
    return run(panel, CapacityPlanConfig.parse(OPTIONS, by="creator", lead_time_days=3))
