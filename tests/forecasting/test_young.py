"""Young series (``forecasting/young.py``): which recipe forecasts them, and how wide their bands are.

The established creators here have different weeks (one busy on Mondays, one at weekends), so a
share read per weekday is exact where one share for the whole week is not: the tests can tell
the recipes apart by the error :func:`young_error` measures.
"""

from __future__ import annotations

import numpy as np

from viewcast.forecasting.evaluation.origins import recent_scale
from viewcast.forecasting.panel import Panel
from viewcast.forecasting.young import borrowing, young_error, young_note, young_scales

DAYS = 120
WEEKS = (np.array([900.0, 500, 500, 500, 500, 300, 300]), np.array([300.0, 300, 400, 400, 500, 900, 1000]))


def _panel(young: dict[str, np.ndarray], established: int = 4) -> Panel:
    """``established`` creators repeating one of two weeks exactly (at different levels), and the
    ``young`` series, all ending on the same day."""
    values = [(1 + k) * np.resize(WEEKS[k % 2], DAYS) for k in range(established)]
    ids = [f"old_{k}" for k in range(established)] + list(young)
    starts = [0] * established + [DAYS - len(v) for v in young.values()]
    return Panel(ids, np.array(starts), values + list(young.values()))


def test_the_recipe_is_measured_per_weekday_from_two_weeks_and_as_one_share_under_one():
    panel = _panel({})
    assert young_error(panel, 20) < 1e-12  # each weekday's share of the panel never changes
    assert young_error(panel, 35) < 1e-12
    assert young_error(panel, 5) > 0.2  # one share for the week misses each creator's own week
    assert young_error(Panel(["a"], np.array([0]), [np.ones(30)]), 20) is None  # nothing established


def test_young_series_get_at_least_the_recipes_error_as_their_scale():
    rng = np.random.default_rng(0)
    smooth = 800 * np.resize(WEEKS[0], 20) * rng.normal(1, 0.001, 20)  # its own weeks barely differ
    panel = _panel({"new_20": smooth, "new_10": smooth[-10:], "new_5": smooth[-5:]}, established=4)
    for k in range(4):  # day-to-day noise on the established creators: the recipe's error is now real
        panel.values[k] = panel.values[k] * rng.normal(1, 0.05, DAYS)
    own = np.array([recent_scale(v, [len(v)])[0] for v in panel.values])
    scale = young_scales(panel, own)
    assert borrowing(panel).tolist() == [False] * 4 + [True, False, True]
    level = smooth.mean()
    assert young_error(panel, 20) > 0.01 and scale[4] == level * young_error(panel, 20) > 10 * own[4]
    np.testing.assert_allclose(scale[6], smooth[-5:].mean() * young_error(panel, 5))
    assert scale[5] > own[5]  # ten days: seasonal naive, with the panel's relative scale as a floor
    np.testing.assert_array_equal(scale[:4], own[:4])


def test_the_note_names_every_series_under_six_weeks():
    panel = _panel({"new_41": np.ones(41), "new_3": np.ones(3)})
    (note,) = young_note(panel)
    assert note.startswith("2 series have less than the 42 days of history the pool of models is scored on")
    assert "('new_41', 'new_3'; shortest 3 days)" in note
    assert young_note(_panel({"at_42": np.ones(42)})) == []
    assert young_note(Panel(["a", "b"], np.array([0, 0]), [np.ones(30), np.ones(20)])) == []  # no one established
