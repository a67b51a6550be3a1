"""Prediction bands from backtest errors: two-sided split-conformal quantiles, per horizon step.

Model-based bands (ETS's or ARIMA's Gaussian intervals) assume the model is right and are
symmetric; views are not. Here each backtest forecast's error is made signed and scale-free,

    e = (actual - forecast) / s,    s = mean |y[t] - y[t-7]| over the 56 days before the origin,

and the bound at probability ``p`` for step ``h`` is the conformal order statistic of the errors
at steps ``h-3 .. h+3`` of every series and origin: the ``ceil((N+1) p)``-th smallest of ``N``
(``floor`` below the median). Upper and lower sides come from their own tails, so a forecast
that tends to fall short gets a wider upper side. Errors on days public holidays moved are left
out (NaN): such a day's bands are made around both its forecasts
(:class:`~viewcast.forecasting.combination.Projection`), and one holiday response that did not
recur must not set the quantile of every later step. Then

* **monotone**: above the median the recent origins' step quantiles are a running maximum over
  ``h`` (and at least 0), below it a running minimum (at most 0): the usual uncertainty never
  shrinks with the horizon, and the point forecast lies inside every band;
* **calendar**: where last year's weeks were backtested too, each side takes the wider of that
  and the calendar quantile of the same steps (holidays the recent origins never saw). A holiday
  is a date, so its errors widen the days around it and not, through the running maximum, every
  day after it. On the 13 development panels that cut the series' sum(hi95) by up to 6% where
  the 30 days held Christmas and New Year (1.2% on average, 0.6% for the totals), with the same
  worst shares of days outside the bands;
* **beyond the backtest window** (short histories) the last step's quantile grows like
  ``sqrt(h / window)``, the growth of a random walk's errors;
* **each series' own upper side**: where the errors carry the series each row belongs to
  (:attr:`ConformalCalibration.series`, the series' calibration), the upper quantile of a series
  with :data:`OWN_ORIGINS` backtest origins or more is the pooled one times
  ``sqrt(own / pooled)``, clipped to ``[1/4, 1]``, ``own`` being the same quantile of its errors
  alone. Pooling lends a calm series the tails of spiky ones (a road's traffic, beside a page
  whose views spike on news, got an upper bound summing to twice its actual volume); a series'
  own 15 windows are too few to stand alone (their largest errors alone widened sum(hi95) by
  5-27%, geometric means over panel groups), so they only narrow, halfway in logs. Measured
  offline on 15 development, 13 fresh and 7 other real panels (item sales, bicycle trips, road
  traffic, page views): sum(hi95) fell by 1.5%, 1.1% and 7.5% (geometric means), the worst share
  of days above hi95 stayed at or under 4.2%. The lower side stays pooled: a calm series' own
  lower quantile lifted its lower bound above the zero days of a shop closed on Saturdays;
* the bound is ``point + s_now * q``, with ``s_now`` from the 56 days before the forecast,
  clipped at 0 (views are counts).

**Nominal and conformal levels.** Backtest errors understate the coming weeks' (the models saw
the backtest days when they were fitted, and the world moves on), so a nominal 95% band uses the
conformal level 0.97 for series and 0.98 for the total, and an 80% band 0.85 and 0.90: the levels
the research (docs/forecast.md) found to hold 95% on both sides of held-out real panels. Any
other probability ``q`` maps through these anchors (log-linear in the tail probability, the last
ratio beyond them), so :meth:`ConformalCalibration.quantiles` answers any ``q`` in (0, 1) and
agrees exactly with the 80% and 95% bands.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from viewcast.io.persist import require, require_shape

#: Steps on each side of ``h`` whose errors calibrate step ``h``.
NEIGHBOURHOOD = 3
#: (nominal tail probability, conformal tail probability) for the series' bands: 80% and 95%.
SERIES_TAILS = ((0.1, 0.075), (0.025, 0.015))
#: The same for the total, whose 15 backtest origins are fewer and more alike than many series'.
TOTAL_TAILS = ((0.1, 0.05), (0.025, 0.01))
#: The bands every forecast reports: name -> nominal (lower, upper) probabilities.
BANDS = {"80": (0.1, 0.9), "95": (0.025, 0.975)}
#: Backtest origins a series needs before its own errors narrow its upper side.
OWN_ORIGINS = 8
#: The narrowest a series' own errors make its upper side: this share of the pooled one.
OWN_FLOOR = 0.25


def conformal_ranks(counts: np.ndarray, p: float) -> np.ndarray:
    """0-based positions of the finite-sample conformal quantile at ``p`` among ``counts`` sorted
    errors: the ``ceil((n + 1) p)``-th smallest (``floor`` below the median), clamped to the extremes."""
    counts = np.asarray(counts)
    # a hair of tolerance: 200 * 0.985 must be 197, not 197.00000000000003 rounded up to 198
    k = np.ceil((counts + 1) * p - 1e-9) if p >= 0.5 else np.floor((counts + 1) * p + 1e-9)
    return (np.clip(k, 1, np.maximum(counts, 1)) - 1).astype(np.int64)


def conformal_order_statistic(sorted_errors: np.ndarray, p: float) -> float:
    """The finite-sample conformal quantile at ``p`` of sorted errors (clamped to the extremes)."""
    return float(sorted_errors[conformal_ranks(np.array([len(sorted_errors)]), p)[0]])


def covers_every_step(errors: np.ndarray, neighbourhood: int = NEIGHBOURHOOD) -> bool:
    """Whether every step of ``(rows, window)`` errors has a scored (finite) error around it:
    what a calibration needs to give a finite quantile at every step."""
    scored = np.isfinite(errors).any(axis=0)
    return all(scored[max(0, h - neighbourhood) : h + neighbourhood + 1].any() for h in range(errors.shape[1]))


@dataclass
class ConformalCalibration:
    """Scaled signed backtest errors of a forecast and the bands they give.

    ``errors`` is ``(forecasts, window)``: one row per backtest origin (and series), one column
    per step; ``calendar`` the same for calendar origins (``(0, window)`` when there are none).
    NaN marks an error left out (a day public holidays moved, whose bands are made otherwise).
    ``series`` and ``calendar_series``, when given, say which series (its row in the forecast's
    ``point``) each row of ``errors`` and ``calendar`` is: each series' upper side then reads its
    own errors too (module docstring). Without them every series reads the pooled errors alone.
    """

    errors: np.ndarray
    calendar: np.ndarray
    tails: tuple[tuple[float, float], ...]
    neighbourhood: int = NEIGHBOURHOOD
    series: np.ndarray | None = None
    calendar_series: np.ndarray | None = None
    _sorted: dict[tuple[str, int], np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _own_rows: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _every_step: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.errors = np.asarray(self.errors, dtype=float)
        self.calendar = np.asarray(self.calendar, dtype=float).reshape(-1, self.errors.shape[1])
        if len(self.errors) == 0:
            raise ValueError("no backtest errors to calibrate on")
        if (self.series is None) != (self.calendar_series is None):
            raise ValueError("series indices are needed for both the backtest and the calendar rows, or for neither")
        if self.series is not None:
            self.series = np.asarray(self.series, dtype=np.int64)
            self.calendar_series = np.asarray(self.calendar_series, dtype=np.int64)
            if self.series.shape != (len(self.errors),) or self.calendar_series.shape != (len(self.calendar),):
                raise ValueError("one series index per row of errors is needed")

    @property
    def window(self) -> int:
        """Steps the backtest measured (beyond them the quantiles are extrapolated)."""
        return int(self.errors.shape[1])

    def step_sample(self, step: int) -> int:
        """How many errors calibrate step ``step`` (0-based) from the recent origins."""
        return len(self._sorted_errors("recent", step))

    # --- probabilities ---------------------------------------------------------------------
    def conformal_probability(self, q: float) -> float:
        """The conformal probability that nominal probability ``q`` reads the errors at.

        Tail probabilities map log-linearly between the anchors (0.5 -> 0.5 and :attr:`tails`),
        with the last anchor's ratio beyond them: 0.975 -> 0.985 for series, 0.99 for the total.
        """
        if not 0.0 < q < 1.0:
            raise ValueError(f"a quantile's probability must lie strictly between 0 and 1, not {q!r}")
        tail = min(q, 1.0 - q)
        nominal = [0.5, *(t for t, _ in self.tails)]
        conformal = [0.5, *(c for _, c in self.tails)]
        if tail >= nominal[-1]:
            log_tail = np.interp(-math.log(tail), [-math.log(t) for t in nominal], [math.log(c) for c in conformal])
            adjusted = math.exp(log_tail)
        else:
            adjusted = tail * conformal[-1] / nominal[-1]
        return 1.0 - adjusted if q >= 0.5 else adjusted

    # --- step quantiles --------------------------------------------------------------------
    def _sorted_errors(self, which: str, step: int) -> np.ndarray:
        key = (which, step)
        if key not in self._sorted:
            source = self.errors if which == "recent" else self.calendar
            block = source[:, max(0, step - self.neighbourhood) : step + self.neighbourhood + 1].ravel()
            self._sorted[key] = np.sort(block[np.isfinite(block)])
        return self._sorted[key]

    def _pooled_blocks(self, which: str, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The errors around ``step`` as one group: ``(1, values)`` sorted, and their count."""
        values = self._sorted_errors(which, step)
        return values[None], np.array([len(values)])

    def _own_blocks(self, which: str, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Each series' own errors around ``step``: ``(series, values)`` sorted (NaN-padded at the
        end), and how many each has. Grouped once for all series: a panel may hold thousands."""
        if which not in self._own_rows:
            rows, of = (self.errors, self.series) if which == "recent" else (self.calendar, self.calendar_series)
            order = np.argsort(of, kind="stable")
            grouped = of[order]
            count = np.bincount(grouped, minlength=self.series_count)
            slot = np.arange(len(grouped)) - (np.cumsum(count) - count)[grouped]  # each row's place in its series
            padded = np.full((self.series_count, int(count.max(initial=0)), self.window), np.nan)
            padded[grouped, slot] = rows[order]
            self._own_rows[which] = padded
        padded = self._own_rows[which]
        block = padded[:, :, max(0, step - self.neighbourhood) : step + self.neighbourhood + 1].reshape(len(padded), -1)
        return np.sort(block, axis=1), np.isfinite(block).sum(axis=1)

    def _steps_sorted(self, which: str, blocks: Callable) -> tuple[np.ndarray, np.ndarray]:
        """``blocks``' sorted errors of every step at once, ``(window, groups, values)`` NaN-padded at
        the end, and their counts ``(window, groups)``. Stacked once per calibration, so that a
        quantile at any probability is one indexing operation: a capacity plan reads a few hundred
        probabilities per forecast, and step by step that took 0.3 s for one series."""
        key = (blocks.__name__, which)
        if key not in self._every_step:
            parts = [blocks(which, step) for step in range(self.window)]
            values = np.full((self.window, len(parts[0][0]), max(v.shape[1] for v, _ in parts)), np.nan)
            for step, (sorted_values, _) in enumerate(parts):
                values[step, :, : sorted_values.shape[1]] = sorted_values
            self._every_step[key] = (values, np.stack([counts for _, counts in parts]))
        return self._every_step[key]

    @property
    def series_count(self) -> int:
        """Series the rows name (0 without series indices)."""
        if self.series is None:
            return 0
        return int(max(self.series.max(initial=-1), self.calendar_series.max(initial=-1))) + 1

    def own_series(self) -> np.ndarray:
        """Whether each series has :data:`OWN_ORIGINS` backtest rows or more: its upper side also
        reads its own errors (:meth:`series_step_quantiles`)."""
        if self.series is None:
            return np.zeros(0, dtype=bool)
        return np.bincount(self.series, minlength=self.series_count) >= OWN_ORIGINS

    def _group_step_quantiles(self, p: float, steps: int, blocks: Callable) -> np.ndarray:
        """``(groups, steps)`` quantiles at conformal probability ``p`` of each group of errors that
        ``blocks(which, step)`` sorts (the module docstring's recipe; NaN where a group has none)."""
        upper = p >= 0.5

        def statistics(which: str) -> np.ndarray:
            values, counts = self._steps_sorted(which, blocks)
            if values.shape[2] == 0:
                return np.full(counts.T.shape, np.nan)
            found = np.take_along_axis(values, conformal_ranks(counts, p)[..., None], axis=2)[..., 0]
            return np.where(counts > 0, found, np.nan).T

        recent = statistics("recent")
        if upper:
            recent = np.maximum.accumulate(np.maximum(recent, 0.0), axis=1)
        else:
            recent = np.minimum.accumulate(np.minimum(recent, 0.0), axis=1)
        # only where last year's weeks were backtested: widen these days alone
        seen = statistics("calendar")
        q = np.where(np.isnan(seen), recent, (np.maximum if upper else np.minimum)(recent, seen))
        if steps > self.window:
            beyond = recent[:, -1:] * np.sqrt(np.arange(self.window + 1, steps + 1) / self.window)
            q = np.concatenate([q, beyond], axis=1)
        return q[:, :steps]

    def step_quantiles(self, p: float, steps: int) -> np.ndarray:
        """Scaled error quantile at conformal probability ``p`` for steps 1..``steps``."""
        return self._group_step_quantiles(p, steps, self._pooled_blocks)[0]

    def series_step_quantiles(self, p: float, steps: int, which: np.ndarray) -> np.ndarray:
        """``(len(which), steps)`` step quantiles at conformal probability ``p`` for series ``which``:
        the pooled ones, the upper side narrowed by each series' own errors where it has enough."""
        pooled = self.step_quantiles(p, steps)
        if p < 0.5 or self.series is None:
            return np.tile(pooled, (len(which), 1))
        own = self._group_step_quantiles(p, steps, self._own_blocks)
        enough = self.own_series()
        which = np.asarray(which, dtype=np.int64)
        known = (which < self.series_count) & enough[np.minimum(which, self.series_count - 1)]
        mine = np.where(known[:, None], own[np.minimum(which, self.series_count - 1)], np.nan)
        ratio = np.sqrt(mine / np.where(pooled > 0, pooled, 1.0))
        return pooled * np.where(np.isnan(ratio), 1.0, np.clip(ratio, OWN_FLOOR, 1.0))

    def quantiles(
        self,
        point: np.ndarray,
        scale: np.ndarray,
        q: float,
        offsets: np.ndarray | None = None,
        ordinary: np.ndarray | None = None,
        opened: np.ndarray | None = None,
    ) -> np.ndarray:
        """The bound at nominal probability ``q`` for ``point`` forecasts ``(series, days)``.

        ``scale[i]`` is series ``i``'s recent error scale; ``offsets[i]`` the days between its last
        observation and the first forecast day (a series that ended early is further along).
        ``q = 0.975`` gives the upper 95% bound, ``q = 0.1`` the lower 80% bound; any ``q`` in
        (0, 1) is answered, monotone in ``q`` and in the horizon. ``ordinary``, the forecasts
        before public holidays moved them, makes each bound the outer one of the bounds around
        both (a holiday response that does not recur stays inside). Where ``opened`` (the shape
        of ``point``) is False the series is closed (:mod:`~viewcast.forecasting.closed_days`)
        and the bound is 0.
        """
        if opened is not None:
            return np.where(opened, self.quantiles(point, scale, q, offsets, ordinary), 0.0)
        if ordinary is not None:
            bounds = (self.quantiles(p, scale, q, offsets) for p in (point, ordinary))
            return (np.maximum if q >= 0.5 else np.minimum)(*bounds)
        point = np.atleast_2d(np.asarray(point, dtype=float))
        days = point.shape[1]
        offsets = np.zeros(len(point), dtype=np.int64) if offsets is None else np.asarray(offsets, dtype=np.int64)
        steps = days + int(offsets.max(initial=0))
        per_step = self.series_step_quantiles(self.conformal_probability(q), steps, np.arange(len(point)))
        width = np.asarray(scale, dtype=float)[:, None] * np.stack([row[o : o + days] for row, o in zip(per_step, offsets)])
        bound = point + width
        return np.maximum(bound, point if q >= 0.5 else 0.0).clip(min=0.0)

    def bands(
        self, point: np.ndarray, scale: np.ndarray, offsets: np.ndarray | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The 80% and 95% bands: ``{"80": (lo, hi), "95": (lo, hi)}``, nested, containing ``point``."""
        return {name: tuple(self.quantiles(point, scale, q, offsets) for q in pair) for name, pair in BANDS.items()}

    # --- persistence -----------------------------------------------------------------------
    def state(self, prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        config = {"tails": [list(t) for t in self.tails], "neighbourhood": self.neighbourhood, "window": self.window}
        tensors = {f"{prefix}errors": self.errors, f"{prefix}calendar": self.calendar}
        if self.series is not None:
            tensors |= {f"{prefix}series": self.series, f"{prefix}calendar_series": self.calendar_series}
        return config, tensors

    @classmethod
    def from_state(cls, config: Mapping[str, Any], tensors: Mapping[str, np.ndarray], prefix: str) -> ConformalCalibration:
        """A saved calibration, refused (``ModelLoadError``) unless it makes ordered, finite bands."""
        require(isinstance(config, Mapping), "interval calibration is missing")
        window, neighbourhood, tails = config.get("window"), config.get("neighbourhood"), config.get("tails")
        require(isinstance(window, int) and window >= 1, f"interval calibration window {window!r} is not a day count")
        require(isinstance(neighbourhood, int) and 0 <= neighbourhood <= 30, f"neighbourhood {neighbourhood!r} is invalid")
        require(
            isinstance(tails, list)
            and len(tails) >= 1
            and all(isinstance(t, list) and len(t) == 2 and 0 < t[1] <= t[0] <= 0.5 for t in tails)
            and all(a[0] > b[0] and a[1] > b[1] for a, b in zip(tails, tails[1:])),
            f"interval tail anchors {tails!r} are invalid (each 0 < conformal <= nominal <= 0.5, decreasing)",
        )
        errors = require_shape(tensors, f"{prefix}errors", (None, window))
        calendar = require_shape(tensors, f"{prefix}calendar", (None, window))
        require(len(errors) >= 1, "interval calibration rests on no backtest errors")
        # NaN marks an error left out (a day public holidays moved); infinities are never valid
        for name, array in ((f"{prefix}errors", errors), (f"{prefix}calendar", calendar)):
            require(not np.isinf(array).any(), f"model state does not fit: array {name!r} holds infinite values")
        require(covers_every_step(errors, neighbourhood), "interval calibration leaves a step with no backtest error around it")
        series = calendar_series = None
        if f"{prefix}series" in tensors or f"{prefix}calendar_series" in tensors:  # older models have no series indices
            series = require_shape(tensors, f"{prefix}series", (len(errors),))
            calendar_series = require_shape(tensors, f"{prefix}calendar_series", (len(calendar),))
            require(
                all(np.issubdtype(a.dtype, np.integer) and bool(np.all(a >= 0)) for a in (series, calendar_series)),
                "interval calibration series indices must be whole numbers from 0",
            )
        return cls(
            np.asarray(errors, dtype=float),
            np.asarray(calendar, dtype=float),
            tuple(tuple(t) for t in tails),
            neighbourhood,
            series=series,
            calendar_series=calendar_series,
        )
