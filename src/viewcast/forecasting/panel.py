"""A panel of daily series (one per total, category or creator) on the integer day axis.

Series may start on different days but each is contiguous (gaps were filled on loading). The
panel is the one input every forecaster takes, so statistical models, the LSTM and the backtest
all see exactly the same numbers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.forecasting.config import By
from viewcast.forecasting.data import ViewsData


@dataclass
class Panel:
    """``values[i]`` is series ``ids[i]`` for days ``starts[i] .. starts[i] + len - 1``."""

    ids: list[str]
    starts: np.ndarray
    values: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(v) for v in self.values])

    def ends(self) -> np.ndarray:
        """Day index of each series' last observation."""
        return self.starts + self.lengths - 1

    def truncate(self, cut: int) -> Panel:
        """Drop the last ``cut`` values of every series (a backtest origin)."""
        return Panel(self.ids, self.starts.copy(), [v[: len(v) - cut] for v in self.values])

    def subset(self, index: np.ndarray) -> Panel:
        return Panel([self.ids[i] for i in index], self.starts[index], [self.values[i] for i in index])

    def to_long(self) -> pd.DataFrame:
        """statsforecast's long format with integer ``ds``."""
        return pd.DataFrame(
            {
                "unique_id": np.repeat(np.array(self.ids, dtype=object), self.lengths),
                "ds": np.concatenate([s + np.arange(len(v)) for s, v in zip(self.starts, self.values)]),
                "y": np.concatenate(self.values).astype(float),
            }
        )

    def total(self) -> np.ndarray:
        """Sum of all series over the days they share at the end (the platform's total)."""
        length = int(self.lengths.min())
        return np.sum([v[len(v) - length :] for v in self.values], axis=0)

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


def aggregate(data: ViewsData, by: By = "total") -> Panel:
    """Sum views per day over everything (``total``), per category, or keep each creator."""
    frame = data.frame
    if by == "category" and not data.has_categories:
        raise DataValidationError(
            f"{data.source}: forecasting per category needs a Category column (the long format has none)", param="by"
        )
    if by == "total":
        keys = pd.Series("total", index=frame.index)
    else:
        keys = frame["category" if by == "category" else "creator"].astype(str)
    summed = frame.assign(key=keys.to_numpy()).groupby(["key", "t"], sort=True)["views"].sum()
    ids, starts, values = [], [], []
    for key, series in summed.groupby(level=0, sort=True):
        t = series.index.get_level_values(1).to_numpy()
        full = np.arange(t.min(), t.max() + 1)
        ids.append(str(key))
        starts.append(int(t.min()))
        # Creators cover different ranges: a day missing for all of a group's creators counts as 0.
        values.append(series.droplevel(0).reindex(full, fill_value=0.0).to_numpy(dtype=float))
    return Panel(ids=ids, starts=np.array(starts, dtype=np.int64), values=values)
