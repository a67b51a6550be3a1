"""Lag features for the global LightGBM member, in numpy.

The research prototype built these with mlforecast. mlforecast keeps its fitted pipeline
(feature closures, target transforms) as Python objects that can only be saved with
pickle (or its cloud variant), which viewcast's persistence rules forbid: a saved model must be data that
loading never executes. The features are few and plain, so they are computed here, and the
saved model holds LightGBM's own text model plus this module's fixed feature list.

Every series is standardised by its own history (``(y - mean) / std``, what mlforecast's
``LocalStandardScaler`` does), so one model serves creators of any size. For the day being
predicted, the features are (in :data:`FEATURES` order):

* ``lag1`` .. ``lag7``, ``lag14``, ``lag21``, ``lag28``: the standardised value that many days before;
* ``mean7_lag1``, ``mean28_lag1``: the mean of the 7 and 28 days before;
* ``mean4_lag7``: the mean of the four days ending a week before (days t-10 .. t-7);
* ``weekday``: 0-6, Monday = 0 for calendar dates.

Forecasts are recursive: each predicted day joins the history the next day's features read.
"""

from __future__ import annotations

import numpy as np

LAGS = (1, 2, 3, 4, 5, 6, 7, 14, 21, 28)
#: (lag, window): the mean of ``window`` days ending ``lag`` days before the predicted day.
ROLLING_MEANS = ((1, 7), (1, 28), (7, 4))
FEATURES = (*(f"lag{k}" for k in LAGS), *(f"mean{w}_lag{k}" for k, w in ROLLING_MEANS), "weekday")
#: Days of history one feature row reads.
LOOKBACK = max(max(LAGS), *(k + w - 1 for k, w in ROLLING_MEANS))


def standardisation(history: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of a history (a constant history gets a deviation of 1)."""
    values = np.asarray(history, dtype=float)
    std = float(values.std())
    return float(values.mean()), std if std > 0 else 1.0


def features(window: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    """Feature rows from the :data:`LOOKBACK` standardised days before each predicted day.

    ``window`` is ``(rows, LOOKBACK)``, oldest first; ``weekday`` the predicted days' weekdays.
    """
    end = window.shape[1]
    columns = [window[:, end - k] for k in LAGS]
    columns += [window[:, end - k - w + 1 : end - k + 1].mean(axis=1) for k, w in ROLLING_MEANS]
    columns.append(np.asarray(weekday, dtype=float))
    return np.column_stack(columns)


def training_rows(
    scaled: list[np.ndarray], first_weekdays: np.ndarray, recent: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every day with a full lookback (the last ``recent`` of each history), from every
    standardised history: features and targets."""
    rows, targets = [], []
    for values, first in zip(scaled, first_weekdays):
        if len(values) <= LOOKBACK:
            continue
        start = LOOKBACK if recent is None else max(LOOKBACK, len(values) - recent)
        windows = np.lib.stride_tricks.sliding_window_view(values[start - LOOKBACK :], LOOKBACK + 1)
        days = np.arange(start, len(values))
        rows.append(features(windows[:, :LOOKBACK], (first + days) % 7))
        targets.append(windows[:, LOOKBACK])
    if not rows:
        return np.empty((0, len(FEATURES))), np.empty(0)
    return np.concatenate(rows), np.concatenate(targets)
