"""What a run's backtest holds and what is computed from it: scores, scaled errors, coverage.

:class:`Backtest` keeps every backtest forecast of a run with the actuals it was scored on, and
summarises it for ``metrics.json`` and the report. The functions below turn its windows into the
scale-free errors that calibrate the bands (the series', and the total's, which the capacity
plan's backtest reads too), and into the held-out coverage: each origin's days against bands
calibrated on the other origins only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from viewcast.forecasting.evaluation.intervals import BANDS, ConformalCalibration
from viewcast.forecasting.evaluation.metrics import relative_mae
from viewcast.forecasting.evaluation.origins import OriginPlan, left_out_days, recent_scale, summed_windows
from viewcast.forecasting.evaluation.weights import backtest_mae
from viewcast.forecasting.models import DESCRIPTIONS, NAIVE
from viewcast.forecasting.panel import Panel
from viewcast.forecasting.total import DirectTotal, total_panel

#: Series listed one by one in the report (the rest are in weights.csv).
LISTED_SERIES = 30


@dataclass
class Backtest:
    """Every backtest forecast of a run, with what it was scored and calibrated on.

    Arrays are ``(series, origins, window)`` (members first where there are several); the
    origins are the plan's backtest offsets, then its calendar offsets.
    """

    plan: OriginPlan
    members: tuple[str, ...]
    ids: list[str]
    actual: np.ndarray
    forecasts: np.ndarray
    benchmark: np.ndarray
    combined: np.ndarray
    mae: np.ndarray  # (series, members)
    benchmark_mae: np.ndarray  # (series,)
    weights: np.ndarray  # (series, members)
    scale: np.ndarray  # (series,) MASE scale of each series' whole history
    volume: np.ndarray  # (series,) mean daily views of the last four weeks
    coverage: dict[str, dict[str, float | None]]
    total_forecast: dict[str, Any]  # which forecast serves the total, and the scores it was chosen on
    total_windows: tuple[np.ndarray, np.ndarray, np.ndarray]  # the total's (actual, forecast, present)
    total_ordinary: np.ndarray  # the total's forecast before public holidays moved it (origins, window)
    total_open: np.ndarray  # False on the total's closed weekdays (origins, window): forecast 0, no band
    own_upper_series: int  # series whose upper side also reads their own errors (evaluation/intervals.py)
    reported: dict[str, np.ndarray] = field(default_factory=dict)  # trained for the report only

    @property
    def backtest_origins(self) -> int:
        return len(self.plan.backtest)

    def _scores(self, forecasts: np.ndarray) -> dict[str, float | None]:
        k = self.backtest_origins
        mae = backtest_mae(self.actual[:, :k], forecasts[None, :, :k])[:, 0]
        with np.errstate(invalid="ignore"):
            mase = np.nanmean(mae / self.scale) if np.isfinite(mae).any() else None
        return {"mase": None if mase is None else float(mase), "relative_mae": relative_mae(mae, self.benchmark_mae)}

    def weights_table(self) -> pd.DataFrame:
        """One row per series: the leading member, each member's weight and backtest MAE."""
        leader = np.array(self.members)[np.argmax(self.weights, axis=1)]
        table = pd.DataFrame({"series": self.ids, "leader": leader, "mean_daily_views": self.volume})
        for m, name in enumerate(self.members):
            table[f"weight_{name}"] = self.weights[:, m]
        for m, name in enumerate(self.members):
            table[f"mae_{name}"] = self.mae[:, m]
        if NAIVE not in self.members:
            table["mae_seasonal_naive_benchmark"] = self.benchmark_mae
        return table

    def summary(self) -> dict[str, Any]:
        """What metrics.json and the report say about the backtest."""
        leaders = np.array(self.members)[np.argmax(self.weights, axis=1)]
        members = {
            name: {
                "description": DESCRIPTIONS[name],
                **self._scores(self.forecasts[m]),
                "leads": int(np.sum(leaders == name)),
                "mean_weight": float(self.weights[:, m].mean()),
            }
            for m, name in enumerate(self.members)
        }
        order = np.argsort(-self.volume, kind="stable")[:LISTED_SERIES]
        listed = [
            {
                "series": self.ids[i],
                "leader": str(leaders[i]),
                "weights": {name: float(self.weights[i, m]) for m, name in enumerate(self.members)},
                "mae": {name: _finite(self.mae[i, m]) for m, name in enumerate(self.members)},
            }
            for i in order
        ]
        return {
            "origins": self.backtest_origins,
            "calendar_origins": len(self.plan.calendar),
            "own_upper_series": self.own_upper_series,
            "window_days": self.plan.window,
            "step_days": 7,
            "series": len(self.ids),
            "members": members,
            "benchmark": {"name": NAIVE, **self._scores(self.benchmark)},
            "combination": {**self._scores(self.combined), **self.coverage["series"]},
            "total": {**self.coverage["total"], **self.total_forecast},
            "leaders": {name: int(np.sum(leaders == name)) for name in self.members},
            "per_series": listed,
            "reported_only": {name: {"description": DESCRIPTIONS[name], **self._scores(f)} for name, f in self.reported.items()},
        }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def scaled_series_errors(actual: np.ndarray, forecast: np.ndarray, panel: Panel, lengths: np.ndarray) -> np.ndarray:
    """``(series, origins, window)`` errors divided by each origin's recent error scale (NaN: no
    origin, or a day ``actual`` leaves out)."""
    scale = np.full(lengths.shape, np.nan)
    hidden = panel.unobserved()
    for i, values in enumerate(panel.values):
        present = lengths[i] > 0
        scale[i, present] = recent_scale(values, lengths[i, present], None if hidden is None else hidden[i])
    return (actual - forecast) / scale[..., None]


def total_forecast_windows(
    actual: np.ndarray, combined: np.ndarray, direct: DirectTotal | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The total's ``(actual, forecast, present)`` at every origin, ``(origins, window)``: the
    direct forecast's if it serves the total, else the series' sums (:func:`summed_windows`)."""
    if direct is None:
        return summed_windows(actual, combined)
    return direct.actual[0], direct.combined[0], np.isfinite(direct.actual[0, :, 0])


def scaled_total_errors(
    panel: Panel,
    plan: OriginPlan,
    total_windows: tuple[np.ndarray, np.ndarray, np.ndarray],
    ordinary: np.ndarray,
    opened: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The total's backtest errors ``(origins, window)`` divided by its recent error scale at each
    origin (NaN on days public holidays moved from ``ordinary``, on closed weekdays, not
    ``opened``, and on days mostly filled in by the loader: they calibrate nothing), and those
    scales ``(origins,)``."""
    total = total_panel(panel)
    hidden = total.unobserved()
    ends = [total.lengths[0] - offset for offset in plan.offsets]
    scale = recent_scale(total.values[0], ends, None if hidden is None else hidden[0])
    actual, forecast, _ = total_windows
    left_out = (forecast != ordinary) | ~opened
    filled = left_out_days(hidden, plan.prefix_lengths(total.lengths), actual.shape[1])
    if filled is not None:
        left_out |= filled[0]
    return np.where(left_out, np.nan, (actual - forecast) / scale[:, None]), scale


def total_errors_by_origin(
    panel: Panel,
    plan: OriginPlan,
    total_windows: tuple[np.ndarray, np.ndarray, np.ndarray],
    ordinary: np.ndarray,
    opened: np.ndarray,
) -> tuple[list[np.ndarray], np.ndarray]:
    """:func:`scaled_total_errors` as one ``(1, window)`` array per backtest origin (empty where
    there is none), and the calendar origins' rows."""
    errors, _ = scaled_total_errors(panel, plan, total_windows, ordinary, opened)
    present = total_windows[2]
    n_bt = len(plan.backtest)
    return [errors[k : k + 1] if present[k] else errors[:0] for k in range(n_bt)], errors[n_bt:][present[n_bt:]]


def held_out_coverage(
    by_origin: list[np.ndarray],
    calendar: np.ndarray,
    tails: tuple,
    series: tuple[list[np.ndarray], np.ndarray] | None = None,
) -> dict[str, float | None]:
    """Share of backtest days above each upper and below each lower bound, every origin's bands
    calibrated on the other origins only (an honest check of the calibration). ``series`` (each
    origin's and the calendar rows' series indices) gives each series its own upper side, as
    the forecast's bands do."""
    names = [f"{side}_{band}" for band in BANDS for side in ("below", "above")]
    if sum(len(rows) > 0 for rows in by_origin) < 2:
        return dict.fromkeys(names)
    hits = dict.fromkeys(names, 0)
    days = 0
    for k, rows in enumerate(by_origin):
        others = [j for j, r in enumerate(by_origin) if j != k and len(r)]
        if not len(rows) or not others:
            continue
        calibration = ConformalCalibration(
            np.concatenate([by_origin[j] for j in others]),
            calendar,
            tails,
            series=None if series is None else np.concatenate([series[0][j] for j in others]),
            calendar_series=None if series is None else series[1],
        )
        which = np.zeros(len(rows), dtype=np.int64) if series is None else series[0][k]
        for band, (low, high) in BANDS.items():
            lo, hi = (
                calibration.series_step_quantiles(calibration.conformal_probability(p), rows.shape[1], which) for p in (low, high)
            )
            hits[f"below_{band}"] += int(np.sum(rows < lo))
            hits[f"above_{band}"] += int(np.sum(rows > hi))
        days += int(np.isfinite(rows).sum())
    return {name: hits[name] / days if days else None for name in names}
