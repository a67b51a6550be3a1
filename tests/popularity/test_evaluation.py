"""Metrics over slots: hit ratios and errors on known predictions, top-K ties, shares, the split."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from viewcast.errors import DataValidationError
from viewcast.popularity.evaluation import Metrics, normalise, predicted_shares, top_k_mask
from viewcast.popularity.features import SlotLog
from viewcast.popularity.training import split_slots


def test_hit_ratio_and_errors_on_known_predictions():
    # one slot: candidates 0, 1 with 3 and 1 requests, and 2 requests of a new item (column 2, not a candidate)
    counts, totals = np.array([[3.0, 1.0, 2.0]]), np.array([6.0])
    candidates = np.array([[True, True, False]])
    metrics = Metrics()
    metrics.add(counts, totals, candidates, np.array([[0.5, 0.5, 0.0]]), scores=np.array([[0.1, 0.9, 5.0]]))
    result = metrics.result()
    assert result["hit@10"] == pytest.approx(4 / 6)  # both candidates fit in any cache of 10; the new item cannot
    errors = np.array([0.5 - 3 / 6, 0.5 - 1 / 6, 2 / 6])  # the new item counts as predicted 0
    assert result["rmse"] == pytest.approx(math.sqrt((errors**2).mean()))
    assert result["mae"] == pytest.approx(np.abs(errors).mean())
    oracle = Metrics()
    oracle.add_oracle(counts, totals, candidates)
    assert oracle.result()["hit@10"] == 1.0 and oracle.result()["rmse"] == 0.0


def test_busy_slots_weigh_more_in_the_hit_ratio():
    counts = np.zeros((2, 120))
    counts[0, 0], counts[1, 110] = 1.0, 9.0  # slot 0: one request, slot 1: nine requests
    scores = -np.arange(120.0)[None, :].repeat(2, axis=0)  # item 0 first, item 110 never in the top 100
    metrics = Metrics()
    metrics.add(
        counts, counts.sum(axis=1), np.ones_like(counts, dtype=bool), normalise(np.ones_like(counts), counts > -1), scores
    )
    assert metrics.result()["hit@10"] == pytest.approx(1 / 10) and metrics.result()["hit@100"] == pytest.approx(1 / 10)


def test_top_k_takes_the_highest_and_breaks_ties_by_lower_index():
    scores = np.array([[0.5, 2.0, 0.5, 0.5, 1.0, -np.inf]])
    assert top_k_mask(scores, 3).tolist() == [[True, True, False, False, True, False]]
    assert top_k_mask(scores, 4).tolist() == [[True, True, True, False, True, False]]
    assert top_k_mask(np.zeros((2, 4)), 2).tolist() == [[True, True, False, False]] * 2
    assert top_k_mask(scores, 10).all()  # fewer items than K: all of them


def test_shares_sum_to_one_over_the_candidates():
    candidates = np.array([[True, True, False], [True, True, True]])
    scores = np.array([[0.0, np.log(3.0), 7.0], [1.0, 1.0, 1.0]])
    shares = predicted_shares(scores, candidates, "cross_entropy")
    assert np.allclose(shares, [[0.25, 0.75, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    regression = predicted_shares(np.log1p(np.array([[1.0, -0.5, 3.0]])), np.ones((1, 3), dtype=bool), "mse")
    assert np.allclose(regression, [[0.25, 0.0, 0.75]])
    assert np.allclose(normalise(np.zeros((1, 3)), candidates[:1]), [[0.5, 0.5, 0.0]])  # nothing known: uniform


def test_chronological_split():
    frame = pd.DataFrame({"slot": np.arange(40), "movieId": np.arange(40) % 3, "count": 1})
    log = SlotLog.from_entries(frame["slot"], frame["movieId"], frame["count"])
    split = split_slots(log, 0.2, 0.2)
    assert split.train.max() < split.validation.min() <= split.validation.max() < split.test.min()
    assert len(split.test) == len(split.validation) == 8 and len(split.train) == 23  # slot 0 has no candidates
    assert split.sizes() == {"train_slots": 23, "validation_slots": 8, "test_slots": 8}
    short = SlotLog.from_entries(np.arange(4), np.ones(4), np.ones(4))
    with pytest.raises(DataValidationError, match="too few"):
        split_slots(short, 0.2, 0.2)
