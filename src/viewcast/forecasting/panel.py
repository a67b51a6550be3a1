"""A panel of daily series (one per total, category or creator) on the integer day axis.

Series may start and end on different days but each is contiguous (gaps were filled on loading,
and the panel remembers which days: :meth:`Panel.unobserved`).
The panel is the one input every model of the pool takes, so statistical models, LightGBM, the
LSTM and the backtest all see exactly the same numbers. ``first_weekday`` is the weekday
(Monday = 0) of day ``t = 0`` for calendar dates, so that a model reading weekdays gets the real
ones; for plain day numbers it is 0 and day ``t`` is weekday ``t mod 7``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.forecasting.config import By
from viewcast.forecasting.data import ViewsData

#: Days a series keeps however many of them are leading zeros (eight weeks: what the weekly members
#: and the recent error scale read).
MIN_KEPT_DAYS = 56
#: A day is left out of every backtest score and error scale when at least this share of its
#: views was filled in by the loader (``--fill-gaps``) rather than observed: a creator's filled
#: day always, a category's or the total's when most of it was filled in (an outage of the
#: platform's data, not of a few creators': the total's error on such a day is mostly real).
UNOBSERVED_SHARE = 0.5


@dataclass
class Panel:
    """``values[i]`` is series ``ids[i]`` for days ``starts[i] .. starts[i] + len - 1``."""

    ids: list[str]
    starts: np.ndarray
    values: list[np.ndarray]
    first_weekday: int = 0
    #: Series whose leading zeros were read as days before they joined (:func:`first_kept_day`).
    trimmed: int = 0
    #: ISO date of day ``t = 0`` when the days are calendar dates (None for day numbers): the
    #: holiday calendar reads it (:mod:`~viewcast.forecasting.holiday_effects`).
    origin: str | None = None
    #: Per series, the share of each day's views the loader filled in (None: every day observed).
    filled: list[np.ndarray] | None = None

    def notes(self) -> list[str]:
        """What a reader should know about how the history was read."""
        notes = []
        if self.trimmed:
            which = "series begins" if self.trimmed == 1 else "series begin"
            notes.append(
                f"{self.trimmed} {which} with days of zero views: each is read from its first day with views "
                f"(at least its last {MIN_KEPT_DAYS} days), as a creator who joined then."
            )
        return notes

    def check_reaches_back(self, horizon: int, source: str) -> None:
        """Refuse to forecast further ahead than the panel's history reaches back.

        Only the longest series counts. A platform panel always has creators who joined last week;
        refusing the whole panel for them would leave the planner with nothing, so each is forecast
        from the days it has (:mod:`~viewcast.forecasting.young` says how).
        """
        longest = int(self.lengths.max())
        if longest < horizon:
            raise DataValidationError(
                f"{source}: history too short for a {horizon}-day horizon: the longest series has only {longest} "
                "day(s); a forecast should not reach further ahead than the history reaches back (lower the horizon)",
                param="horizon",
            )

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(v) for v in self.values])

    def ends(self) -> np.ndarray:
        """Day index of each series' last observation."""
        return self.starts + self.lengths - 1

    def weekdays(self) -> np.ndarray:
        """Weekday (0-6) of each series' first day."""
        return (self.starts + self.first_weekday) % 7

    def prefixes(self, rows: np.ndarray, lengths: np.ndarray) -> Panel:
        """The first ``lengths[k]`` days of series ``rows[k]``: histories as they stood at backtest origins."""
        return Panel(
            [self.ids[i] for i in rows],
            self.starts[rows].copy(),
            [self.values[i][:n] for i, n in zip(rows, lengths)],
            self.first_weekday,
            origin=self.origin,
            filled=None if self.filled is None else [self.filled[i][:n] for i, n in zip(rows, lengths)],
        )

    def unobserved(self) -> list[np.ndarray] | None:
        """Per series, the days no backtest score or error scale reads: at least
        :data:`UNOBSERVED_SHARE` of their views filled in, not observed (None: there are none).

        The models still fit the filled values (a gap needs some value), but scoring a forecast
        against them calibrates the bands on the fill's errors: on 8 real panels with an outage
        of 5-14 days for half the series, the series' sum(hi95) was 1.11 times (up to 1.26) that of
        the same panels without it, and 1.005 with the filled days left out (1.002 filled by
        weekday too; docs/forecast.md).
        """
        if self.filled is None:
            return None
        return [share >= UNOBSERVED_SHARE for share in self.filled]

    def to_long(self) -> pd.DataFrame:
        """statsforecast's long format with integer ``ds``."""
        return pd.DataFrame(
            {
                "unique_id": np.repeat(np.array(self.ids, dtype=object), self.lengths),
                "ds": np.concatenate([s + np.arange(len(v)) for s, v in zip(self.starts, self.values)]),
                "y": np.concatenate(self.values).astype(float),
            }
        )

    def aligned_total(self) -> np.ndarray:
        """Sum of the series with their last days aligned (the total a bottom-up forecast continues).

        For a panel whose series all end on the same day this is the platform's total per day; a
        series ending early is shifted to the common end, as its forecast is (it is forecast
        through its missing days). Series shorter than the longest add nothing before they start.
        """
        return self._aligned_sum(self.values)

    def aligned_filled(self) -> np.ndarray | None:
        """The share of :meth:`aligned_total`'s views the loader filled in (None: none was)."""
        if self.filled is None:
            return None
        total = self.aligned_total()
        filled = self._aligned_sum([share * values for share, values in zip(self.filled, self.values)])
        # a day of no views at all is as observed as its most filled-in series
        fullest = self._aligned_max(self.filled)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, filled / np.where(total > 0, total, 1.0), fullest)

    def _aligned_sum(self, arrays: list[np.ndarray]) -> np.ndarray:
        longest = int(self.lengths.max())
        total = np.zeros(longest)
        for values in arrays:
            total[longest - len(values) :] += values
        return total

    def _aligned_max(self, arrays: list[np.ndarray]) -> np.ndarray:
        longest = int(self.lengths.max())
        out = np.zeros(longest)
        for values in arrays:
            out[longest - len(values) :] = np.maximum(out[longest - len(values) :], values)
        return out

    def lags(self) -> np.ndarray:
        """Days each series ends before the latest one (0 for aligned panels)."""
        ends = self.ends()
        return ends.max() - ends

    def fingerprint(self) -> str:
        """Hash of ids, starts and values: tells a saved model whether it sees its own history."""
        digest = hashlib.sha256()
        for uid, start, values in zip(self.ids, self.starts, self.values):
            digest.update(f"{uid}|{int(start)}|".encode())
            digest.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        return digest.hexdigest()


def first_kept_day(values: np.ndarray) -> int:
    """Where a series' history begins: its first day with views, but never fewer than
    :data:`MIN_KEPT_DAYS` days before its end.

    Zeros before a creator's first view are days before they joined (a wide export, or a long
    table that lists every creator on every day). Kept, they are a level shift that every member
    fits: the trend, the weekly profile, LightGBM's per-series scaling. On the benchmark's five
    ragged panels written with such zeros, the series' error rose 4-11% and three totals went from
    0.89-0.95 to 1.02-1.08 times the best peer's; read from the first view, the forecasts are
    those of the same panels without the zeros.
    """
    views = np.flatnonzero(values > 0)
    first = int(views[0]) if len(views) else 0
    return max(0, min(first, len(values) - MIN_KEPT_DAYS))


def aggregate(data: ViewsData, by: By = "total") -> Panel:
    """Sum views per day over everything (``total``), per category, or keep each creator; each
    series from its first day with views (:func:`first_kept_day`)."""
    frame = data.frame
    if by == "category" and not data.has_categories:
        raise DataValidationError(
            f"{data.source}: forecasting per category needs a Category column (the long format has none)", param="by"
        )
    if by == "total":
        keys = pd.Series("total", index=frame.index)
    else:
        keys = frame["category" if by == "category" else "creator"].astype(str)
    any_filled = bool(frame["filled"].any())
    keyed = frame.assign(key=keys.to_numpy())
    columns = {"views": "sum"}
    if any_filled:  # the share of each day's views that was filled in, not observed
        keyed["filled_views"] = frame["views"].where(frame["filled"], 0.0)
        columns |= {"filled_views": "sum", "filled": "any"}
    summed = keyed.groupby(["key", "t"], sort=True)[list(columns)].agg(columns)
    ids, starts, values, filled, trimmed = [], [], [], [], 0
    for key, series in summed.groupby(level=0, sort=True):
        t = series.index.get_level_values(1).to_numpy()
        full = np.arange(t.min(), t.max() + 1)
        # Creators cover different ranges: a day missing for all of a group's creators counts as 0.
        days = series.droplevel(0).reindex(full, fill_value=0)
        daily = days["views"].to_numpy(dtype=float)
        share = np.zeros(len(daily))
        if any_filled:
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(daily > 0, days["filled_views"].to_numpy(dtype=float) / daily, days["filled"].astype(float))
        first = first_kept_day(daily)
        trimmed += first > 0
        ids.append(str(key))
        starts.append(int(t.min()) + first)
        values.append(daily[first:])
        filled.append(share[first:])
    return Panel(
        ids=ids,
        starts=np.array(starts, dtype=np.int64),
        values=values,
        first_weekday=data.axis.first_weekday(),
        trimmed=int(trimmed),
        origin=str(data.axis.origin) if data.axis.kind == "date" else None,
        filled=filled if any_filled else None,
    )
