"""A smooth yearly cycle, fitted by least squares on each history the member forecasts from.

Rail entries dip every December, births every spring holiday, deaths peak every winter: a 30-day
horizon that crosses such a turn is where weekly models (which only carry the level forward) lose.
STL with a 365-day season needs two whole years before every backtest origin, and then estimates
each day of the year from two values; three Fourier harmonics (the cycle down to four-month
swings) need much less and stay smooth.

The cycle is the harmonics' part of an ordinary least-squares fit of

    y[t] = a + b * t / 365.25 + sum_k (c_k sin(2 pi k t / 365.25) + d_k cos(...)) + weekday[t]

(the trend and weekday terms are there so that the harmonics do not absorb them). It is refitted
on every history it is asked about, so a backtest origin's cycle knows nothing after that origin.
On the 8 development panels of 730 days, adding this member to the pool lowered the held-out
series error on 7 of them (by 0.3-6.5%; the eighth unchanged) and the total's on 6; with the
weights learned on the other backtest origins, 3 harmonics scored better than 2, 4 or 5
(docs/forecast.md).
"""

from __future__ import annotations

import numpy as np

#: Days of history below which no cycle is fitted: a whole year. Measured on the Chicago and
#: assorted panels cut to 450-730 days, the member helped wherever every backtest origin had more
#: than a year (series error -2%); fitted from 225-335 days it hurt (+1%).
YEARLY_MIN_DAYS = 365
#: Fourier harmonics of the year.
HARMONICS = 3
YEAR = 365.25
#: What a fitted member records (its trend was fitted on the history less this cycle, so a saved
#: model forwards with the settings it was fitted with, whatever later versions default to).
YEARLY_SETTINGS = {"harmonics": HARMONICS, "min_days": YEARLY_MIN_DAYS}


def yearly_cycle(
    y: np.ndarray, steps: int, harmonics: int = HARMONICS, min_days: int = YEARLY_MIN_DAYS
) -> tuple[np.ndarray, np.ndarray]:
    """The fitted yearly cycle over ``y``'s days and the ``steps`` days after (zeros when ``y`` is
    shorter than ``min_days``)."""
    n = len(y)
    if n < min_days:
        return np.zeros(n), np.zeros(steps)
    t = np.arange(n + steps, dtype=float)
    angle = 2 * np.pi * t[:, None] * np.arange(1, harmonics + 1)[None, :] / YEAR
    waves = np.hstack([np.sin(angle), np.cos(angle)])
    weekday = np.eye(7)[np.arange(n + steps) % 7][:, 1:]
    design = np.column_stack([np.ones(n + steps), t / YEAR, waves, weekday])
    coefficients, *_ = np.linalg.lstsq(design[:n], np.asarray(y, dtype=float), rcond=None)
    cycle = waves @ coefficients[2 : 2 + 2 * harmonics]
    return cycle[:n], cycle[n:]
