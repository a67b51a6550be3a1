"""A fitted forecast: the pool's members, their per-series weights and the interval calibrations.

:class:`Combination` is what a run fits (:mod:`viewcast.forecasting.training`) and what a saved
forecast model holds. Given any history of the fitted series it forecasts the way the run did:
every member forecasts from the history (statistical members forward their fitted states from the
cleaned history, global ones run their learned model), the series' weights combine them, the
total is the sum of the series (bottom-up) or, where that did better in the backtest, a
combination of one series fitted on the total itself (:mod:`~viewcast.forecasting.total`), and
the series' and the total's own calibrations turn the recent error scale into bands at any
probability. ``auto`` combines several members; a
single requested model is a combination of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from viewcast.forecasting.closed_days import open_days
from viewcast.forecasting.evaluation.intervals import BANDS, ConformalCalibration, conformal_ranks
from viewcast.forecasting.evaluation.origins import recent_scale
from viewcast.forecasting.evaluation.weights import combine
from viewcast.forecasting.holiday_effects import panel_holidays, supported_countries, window_factors
from viewcast.forecasting.models import GLOBAL, MODEL_NAMES, STATISTICAL, global_class
from viewcast.forecasting.models.base import GlobalMember
from viewcast.forecasting.models.statistical import StatisticalModels, jobs_for
from viewcast.forecasting.panel import Panel
from viewcast.forecasting.total import total_panel
from viewcast.forecasting.young import young_points, young_scales
from viewcast.io.persist import require, require_finite, require_shape

#: What ``name`` says for a combination of several members.
COMBINATION = "combination"
#: Most member forecasts a saved model may leave out at each end of a day (it trims 1).
MAX_TRIM = 2
#: Fewest days of history a combination forecasts from: a series shorter than a week is forecast
#: as its share of the panel's established series (:mod:`~viewcast.forecasting.young`).
MIN_HISTORY = 1
#: Fewer scaled errors per step than this make the series' 95% band the extreme errors seen
#: (the conformal order statistic at 0.985 is the largest of fewer than 66).
FEW_ERRORS = 66


@dataclass
class Projection:
    """Point forecasts of the series and their total, with bounds at any probability.

    ``point`` is ``(series, days)`` on the common future dates; ``scale`` each series' recent error
    scale and ``offsets`` the days between its last observation and the first forecast day.
    ``ordinary`` and ``total_ordinary`` are the points before public holidays moved them (None:
    nothing moved); on a day that moved, a bound is the outer one of the bounds around both, so a
    holiday response that does not recur stays inside the band
    (:mod:`~viewcast.forecasting.holiday_effects`).
    """

    point: np.ndarray
    scale: np.ndarray
    offsets: np.ndarray
    total_point: np.ndarray
    total_scale: float
    calibration: ConformalCalibration
    total_calibration: ConformalCalibration
    ordinary: np.ndarray | None = None
    total_ordinary: np.ndarray | None = None
    #: False on closed weekdays (:mod:`~viewcast.forecasting.closed_days`), where both bounds are 0
    #: (None: every day is open).
    opened: np.ndarray | None = None
    total_opened: np.ndarray | None = None

    def bounds(self, q: float) -> tuple[np.ndarray, np.ndarray]:
        """The bound at nominal probability ``q`` in (0, 1): ``(series (n, days), total (days,))``."""
        series = self.calibration.quantiles(self.point, self.scale, q, self.offsets, self.ordinary, self.opened)
        return series, self.total_bound(q)

    def total_bound(self, q: float) -> np.ndarray:
        """The total's bound alone at nominal probability ``q``, ``(days,)``: what a capacity plan
        reads at a few hundred probabilities, without the series' bounds at each."""
        total_ordinary = None if self.total_ordinary is None else self.total_ordinary[None]
        opened = None if self.total_opened is None else self.total_opened[None]
        point, scale = self.total_point[None], np.array([self.total_scale])
        return self.total_calibration.quantiles(point, scale, q, None, total_ordinary, opened)[0]


@dataclass
class Combination:
    """Members, weights ``(series, members)`` and calibrations of a fitted forecast."""

    members: tuple[str, ...]
    weights: np.ndarray
    statistical: StatisticalModels
    global_members: dict[str, GlobalMember]
    phase: np.ndarray  # weekday (0-6) of each series' first fitted day
    calibration: ConformalCalibration
    total_calibration: ConformalCalibration
    #: Member forecasts left out at each end of every day (0: the weighted mean, as models saved before trimming).
    trim: int = 0
    #: Country whose public holidays adjust the combined forecast (None: no calendar, as models saved before it).
    holidays: str | None = None
    #: Whether closed weekdays are forecast as 0 (False: as models saved before the rule).
    closed_days: bool = False
    progress: bool = field(default=False, compare=False)
    #: The total's own forecast (statistical members fitted on the summed series), or None:
    #: the total is the sum of the series.
    direct_total: Combination | None = None

    @property
    def name(self) -> str:
        """``"combination"``, or the one model that forecasts alone."""
        return COMBINATION if len(self.members) > 1 else self.members[0]

    def min_history(self) -> int:
        """Fewest days every series' history needs (a lone global member needs its own minimum)."""
        if self.name in GLOBAL:
            return self.global_members[self.name].min_history()
        return MIN_HISTORY

    # --- forecasting ---------------------------------------------------------------------------
    def member_forecasts(self, panel: Panel, steps: int) -> np.ndarray:
        """``(members, series, steps)`` forecasts from each series' history, no refit.

        Statistical members read the history from the weekday their fit started on (up to six
        leading days are dropped), so that seasonal states meet the weekdays they were fitted on.
        """
        out = np.full((len(self.members), len(panel), steps), np.nan)
        local = [m for m in self.members if m in STATISTICAL]
        if local:
            trim = np.where(panel.lengths > 14, (self.phase - panel.weekdays()) % 7, 0)
            aligned = Panel(
                panel.ids,
                panel.starts + trim,
                [v[t:] for v, t in zip(panel.values, trim)],
                panel.first_weekday,
                origin=panel.origin,
            )
            work = int(panel.lengths.sum())
            stat = self.statistical.forecast(aligned, steps, jobs=jobs_for(work), progress=self.progress)
            for m, name in enumerate(self.members):
                if name in STATISTICAL:
                    out[m] = stat[0 if name == "seasonal_naive" else 1 + self.statistical.names.index(name)]
        for m, name in enumerate(self.members):
            if name in GLOBAL:
                out[m] = np.maximum(self.global_members[name].predict(panel, steps), 0.0)
        return out

    def point(self, member_forecasts: np.ndarray) -> np.ndarray:
        """The series' combined forecasts ``(series, steps)``."""
        return combine(self.weights, member_forecasts, self.trim)

    def project(self, panel: Panel, horizon: int, member_forecasts: np.ndarray | None = None) -> Projection:
        """Forecast ``horizon`` days after the panel's last day, every series on the same dates.

        A series that ended early is forecast through its missing days. ``member_forecasts``
        (``(members, series, horizon + longest lag)``) skips forecasting when a run has them.
        """
        lags = panel.lags()
        steps = horizon + int(lags.max())
        forecasts = self.member_forecasts(panel, steps) if member_forecasts is None else member_forecasts
        opened = self.open_days(panel.values, steps)
        combined = self.point(forecasts) * opened
        factors = self.holiday_factors(panel, steps)

        def ahead(full: np.ndarray) -> np.ndarray:
            return np.stack([full[i, lag : lag + horizon] for i, lag in enumerate(lags)])

        point, ordinary = young_points(panel, ahead(combined * factors)), young_points(panel, ahead(combined))
        moved = not np.array_equal(point, ordinary)
        hidden = panel.unobserved() or [None] * len(panel)
        own_scale = np.array([recent_scale(v, [len(v)], h)[0] for v, h in zip(panel.values, hidden)])
        scale = young_scales(panel, own_scale)
        total_series = total_panel(panel)
        total, total_hidden = total_series.values[0], total_series.unobserved()
        total_opened = self.open_days([total], horizon)[0]
        if self.direct_total is None:
            total_point, total_ordinary = point.sum(axis=0) * total_opened, ordinary.sum(axis=0) * total_opened
        else:
            direct = self.direct_total.project(total_series, horizon)
            total_point = direct.point[0]
            total_ordinary = total_point if direct.ordinary is None else direct.ordinary[0]
        series_opened = ahead(opened)
        return Projection(
            point=point,
            scale=scale,
            offsets=lags,
            total_point=total_point,
            total_scale=float(recent_scale(total, [len(total)], None if total_hidden is None else total_hidden[0])[0]),
            calibration=self.calibration,
            total_calibration=self.total_calibration,
            ordinary=ordinary if moved else None,
            total_ordinary=None if np.array_equal(total_point, total_ordinary) else total_ordinary,
            opened=None if series_opened.all() else series_opened,
            total_opened=None if total_opened.all() else total_opened,
        )

    def open_days(self, values: list[np.ndarray], steps: int) -> np.ndarray:
        """``(series, steps)`` False on each series' closed weekdays ahead (all True without the rule)."""
        if not self.closed_days:
            return np.ones((len(values), steps), dtype=bool)
        return np.stack([open_days(v, steps) for v in values])

    def holiday_factors(self, panel: Panel, steps: int) -> np.ndarray:
        """``(series, steps)`` multipliers of the forecasts from each series' last day for public
        holidays (:mod:`~viewcast.forecasting.holiday_effects`; ones without a calendar or dates)."""
        names = panel_holidays(self.holidays, panel, steps)
        return window_factors(panel.values, panel.starts, panel.lengths[:, None], steps, names)[:, 0]

    def interval_notes(self, steps: int) -> list[str]:
        """What a reader should know about the bands over ``steps`` days."""
        notes = []
        window = self.calibration.window
        if window < steps:
            notes.append(
                f"Bands for days {window + 1}-{steps} extrapolate the backtest's {window}-day errors (growing like the "
                "square root of the horizon); they are less certain than the first days'."
            )
        first_step = self.calibration.step_sample(0)
        if first_step < FEW_ERRORS:
            eighty = self.calibration.conformal_probability(BANDS["80"][1])
            if conformal_ranks(np.array([first_step]), eighty)[0] == first_step - 1:
                bands = "the 80% and the 95% band both rest on the largest errors seen (so they coincide there) and"
                bands += " may be too narrow; read them"
            else:
                bands = "the 95% band rests on the largest errors seen and may be too narrow; read it"
            notes.append(
                f"Only {first_step} backtest errors calibrate the first days' bands: {bands} as a lower estimate of the risk."
            )
        return notes

    # --- persistence ---------------------------------------------------------------------------
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        stat_config, tensors = self.statistical.state()
        tensors = {f"stat.{k}": v for k, v in tensors.items()}
        global_config = {}
        for name, member in self.global_members.items():
            config, arrays = member.state()
            global_config[name] = config
            tensors.update({f"{name}.{k}": v for k, v in arrays.items()})
        calibration, arrays = self.calibration.state("calibration.")
        tensors.update(arrays)
        total_calibration, arrays = self.total_calibration.state("total_calibration.")
        tensors.update(arrays)
        tensors["weights"] = self.weights
        tensors["phase"] = self.phase.astype(np.int64)
        config = {
            "members": list(self.members),
            "statistical": stat_config,
            "global": global_config,
            "calibration": calibration,
            "total_calibration": total_calibration,
            "trim": self.trim,
            "holidays": self.holidays,
            "closed_days": self.closed_days,
        }
        if self.direct_total is not None:
            config["direct_total"], arrays = self.direct_total.state()
            tensors.update({f"direct_total.{k}": v for k, v in arrays.items()})
        return config, tensors

    @classmethod
    def from_state(cls, config: Mapping[str, Any], tensors: Mapping[str, np.ndarray], series: int) -> Combination:
        members = config.get("members")
        require(
            isinstance(members, list) and members and len(set(members)) == len(members) and set(members) <= set(MODEL_NAMES),
            f"members {members!r} are not models of the pool ({', '.join(MODEL_NAMES)})",
        )
        weights = require_shape(tensors, "weights", (series, len(members)))
        phase = require_shape(tensors, "phase", (series,))
        require_finite(tensors, ["weights"])
        require(
            bool(np.all(weights >= 0)) and np.allclose(weights.sum(axis=1), 1.0),
            "combination weights must be shares summing to 1",
        )
        require(bool(np.all((phase >= 0) & (phase <= 6))), "series weekdays must lie in 0..6")
        stat_tensors = {k[len("stat.") :]: v for k, v in tensors.items() if k.startswith("stat.")}
        statistical = StatisticalModels.from_state(config.get("statistical") or {}, stat_tensors, series)
        wanted = {m for m in members if m in STATISTICAL and m != "seasonal_naive"}
        require(set(statistical.names) == wanted, f"statistical states {list(statistical.names)} do not match members {members}")
        saved_global = config.get("global")
        require(isinstance(saved_global, dict), "global members' states are missing")
        require(set(saved_global) == {m for m in members if m in GLOBAL}, "global members' states do not match the members")
        global_members = {
            name: global_class(name).from_state(
                saved_global[name], {k[len(name) + 1 :]: v for k, v in tensors.items() if k.startswith(f"{name}.")}, series
            )
            for name in saved_global
        }
        direct_total = None
        if config.get("direct_total") is not None:
            require(series > 1 and isinstance(config["direct_total"], Mapping), "the total's own forecast is malformed")
            prefix = "direct_total."
            own = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            direct_total = cls.from_state(config["direct_total"], own, 1)
            require(
                direct_total.direct_total is None and not direct_total.global_members,
                "the total's own forecast must be statistical members of one series",
            )
        calibration = ConformalCalibration.from_state(config.get("calibration"), tensors, "calibration.")
        trim = config.get("trim", 0)  # models saved before trimming combine with the weighted mean
        require(type(trim) is int and 0 <= trim <= MAX_TRIM, f"trim must be a whole number 0..{MAX_TRIM}, not {trim!r}")
        holidays = config.get("holidays")  # models saved before the calendar have none
        require(
            holidays is None or (isinstance(holidays, str) and holidays in supported_countries()),
            f"holiday calendar {holidays!r} is not a country the holidays package knows",
        )
        closed_days = config.get("closed_days", False)  # models saved before the rule forecast every day
        require(type(closed_days) is bool, f"closed_days must be true or false, not {closed_days!r}")
        require(
            calibration.series is None
            or max(calibration.series.max(initial=0), calibration.calendar_series.max(initial=0)) < series,
            "interval calibration names a series the model does not have",
        )
        return cls(
            members=tuple(members),
            weights=np.asarray(weights, dtype=float),
            statistical=statistical,
            global_members=global_members,
            phase=np.asarray(phase, dtype=np.int64),
            calibration=calibration,
            total_calibration=ConformalCalibration.from_state(config.get("total_calibration"), tensors, "total_calibration."),
            trim=trim,
            holidays=holidays,
            closed_days=closed_days,
            direct_total=direct_total,
        )
