"""A global LightGBM on lags: one gradient-boosted model learned from every series.

Alone it is erratic (on the research panels its worst panel was 1.49 times the best peer's
error), but as a member of the per-series combination it lowered the combined error by about 2%,
because its errors differ from the statistical models'. It is trained once, at the earliest
backtest origin, so that every backtest forecast it makes is out of sample; the final forecast
uses that same model from the last day (no second training).

Features are :mod:`~viewcast.forecasting.models.lag_features`; LightGBM is trained directly
(L1 loss: views have heavy-tailed outliers; 300 trees of 31 leaves, learning rate 0.05, 80%
row and column sampling, seeded and deterministic). The fitted model is saved as LightGBM's own
text format (``Booster.model_to_string``), a data format that loading parses and never executes,
and refused on load unless it reads exactly :data:`~viewcast.forecasting.models.lag_features.FEATURES`
and predicts finite numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from viewcast.errors import ModelLoadError
from viewcast.forecasting.models.base import GlobalMember, State
from viewcast.forecasting.models.lag_features import FEATURES, LOOKBACK, features, standardisation, training_rows
from viewcast.forecasting.panel import Panel
from viewcast.io.persist import require

ROUNDS = 300
PARAMS = {
    "objective": "l1",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.8,
    "deterministic": True,
    "force_row_wise": True,
    "verbosity": -1,
}
#: Fewest training rows worth a model (fewer: the member is left out, with a note).
MIN_TRAINING_ROWS = 200
#: Most training rows: large panels learn from each series' most recent days (1,000 creators:
#: the last 300 days each), which keeps training within seconds.
MAX_TRAINING_ROWS = 300_000


class LightGBMForecaster(GlobalMember):
    """Global LightGBM over standardised lags. Fitted state: ``booster_`` and ``rows_``."""

    name = "lgbm"

    def __init__(self, seed: int = 0, threads: int = 1) -> None:
        self.seed = seed
        self.threads = threads

    def min_history(self) -> int:
        return LOOKBACK

    def fit(self, panel: Panel) -> LightGBMForecaster:
        import lightgbm

        scaled = []
        for values in panel.values:
            mean, std = standardisation(values)
            scaled.append((np.asarray(values, dtype=float) - mean) / std)
        longest = int(panel.lengths.max())
        recent = (
            max(MAX_TRAINING_ROWS // len(panel), MIN_TRAINING_ROWS)
            if len(panel) * (longest - LOOKBACK) > MAX_TRAINING_ROWS
            else None
        )
        X, y = training_rows(scaled, panel.weekdays(), recent)
        if len(y) < MIN_TRAINING_ROWS:
            raise ValueError(f"{len(y)} training rows (at least {MIN_TRAINING_ROWS} needed)")
        params = {**PARAMS, "seed": self.seed, "num_threads": self.threads}
        dataset = lightgbm.Dataset(X, y, feature_name=list(FEATURES), free_raw_data=True)
        booster = lightgbm.train(params, dataset, num_boost_round=ROUNDS)
        # forecast with the model as it will be saved, so a loaded model repeats the run exactly
        self.booster_ = lightgbm.Booster(model_str=booster.model_to_string())
        self.rows_ = int(len(y))
        return self

    def notes(self) -> list[str]:
        return [f"LightGBM learned from {self.rows_:,} series-days ({ROUNDS} trees)."]

    def predict(self, panel: Panel, steps: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Recursive forecasts of every history at once (histories shorter than 28 days: NaN)."""
        out = np.full((len(panel), steps), np.nan)
        usable = np.flatnonzero(panel.lengths >= LOOKBACK)
        if len(usable) == 0:
            return out
        stats = np.array([standardisation(panel.values[i]) for i in usable])
        mean, std = stats[:, 0:1], stats[:, 1:2]
        window = np.stack([panel.values[i][-LOOKBACK:] for i in usable]).astype(float)
        window = (window - mean) / std
        next_weekday = (panel.weekdays()[usable] + panel.lengths[usable]) % 7
        predicted = np.empty((len(usable), steps))
        for step in range(steps):
            value = self.booster_.predict(features(window, (next_weekday + step) % 7), num_threads=self.threads)
            predicted[:, step] = value
            window = np.column_stack([window[:, 1:], value])
        out[usable] = predicted * std + mean
        return out

    def state(self) -> State:
        return {"model": self.booster_.model_to_string(), "features": list(FEATURES), "rows": self.rows_, "seed": self.seed}, {}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], tensors: Mapping[str, np.ndarray], series: int) -> LightGBMForecaster:
        import lightgbm

        require(state.get("features") == list(FEATURES), f"LightGBM features {state.get('features')!r} are not {list(FEATURES)}")
        text = state.get("model")
        require(isinstance(text, str) and text.startswith("tree"), "the LightGBM model text is missing")
        try:
            booster = lightgbm.Booster(model_str=text)
        except lightgbm.basic.LightGBMError as exc:
            raise ModelLoadError(f"model state does not fit: the LightGBM model does not parse ({str(exc)[:200]})") from None
        require(
            booster.num_feature() == len(FEATURES),
            f"the LightGBM model reads {booster.num_feature()} features, not {len(FEATURES)}",
        )
        require(booster.feature_name() == list(FEATURES), "the LightGBM model's feature names differ from the saved list")
        probe = booster.predict(np.zeros((1, len(FEATURES))))
        require(bool(np.isfinite(probe).all()), "the LightGBM model predicts NaN or infinite values")
        self = cls(seed=int(state.get("seed", 0)))
        self.booster_ = booster
        self.rows_ = int(state.get("rows", 0))
        return self
