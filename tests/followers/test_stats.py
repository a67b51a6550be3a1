"""Follower drivers: the statistics recover a known truth and equal statsmodels' own numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from viewcast.followers import FollowersConfig, analyse
from viewcast.synth.videos import NULL_COLUMNS, PER_UNIT, SUBJECT_EFFECT, generate_videos

SEEDS = range(12)
REAL = {*PER_UNIT, "subject_data analytics"}


def _runs(complete: bool) -> pd.DataFrame:
    """One row per (seed, term): truth, per-unit CI and p-value, from the default pipeline."""
    rows = []
    for seed in SEEDS:
        synth = generate_videos(194, seed)
        result = analyse(synth.complete if complete else synth.frame, FollowersConfig(seed=seed, cv_folds=0))
        truth = synth.true_coefficients(**{f"{c}_baseline": b for c, b in result.cleaning["baselines"].items()})
        table = result.coefficients
        assert set(truth) == set(table.index)
        for term, true_value in truth.items():
            rows.append(
                {
                    "seed": seed,
                    "term": term,
                    "covered": table.at[term, "per_unit_ci_low"] <= true_value <= table.at[term, "per_unit_ci_high"],
                    "significant": table.at[term, "p_value"] < 0.05,
                    "real": term in REAL,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def complete_runs() -> pd.DataFrame:
    return _runs(complete=True)


@pytest.fixture(scope="module")
def study_runs() -> pd.DataFrame:
    return _runs(complete=False)


def test_truth_inside_ci_at_nominal_rate_on_complete_data(complete_runs):
    # A correctly specified OLS must cover ~95%: too low means biased or too narrow intervals,
    # near 100% means intervals wider than they should be.
    coverage = complete_runs["covered"].mean()
    assert 0.9 <= coverage <= 0.99, coverage
    per_term = complete_runs.groupby("term")["covered"].mean()
    assert per_term.min() >= 0.75, per_term.to_dict()


def test_truth_inside_ci_for_large_majority_with_study_cleaning(study_runs):
    # Zeros-as-missing imputed the study's way add bias (errors in variables), yet most CIs hold.
    assert study_runs["covered"].mean() >= 0.85


@pytest.mark.parametrize("runs", ["complete_runs", "study_runs"])
def test_real_effects_significant_null_features_not(runs, request):
    frame = request.getfixturevalue(runs)
    frame = frame[frame["term"] != "const"]
    real = frame[frame["real"]].groupby("term")["significant"].mean()
    assert set(real.index) == REAL
    assert real.mean() >= 0.85 and real.min() >= 0.5, real.to_dict()
    null_rate = frame.loc[~frame["real"], "significant"].mean()
    assert null_rate <= 0.1, null_rate  # alpha = 0.05, with sampling slack


def test_generator_truth_is_what_it_documents():
    synth = generate_videos(60, seed=3)
    truth = synth.true_coefficients(category_baseline="Career", subject_baseline="data analytics")
    assert truth["subject_programming"] == -SUBJECT_EFFECT["data analytics"]
    assert truth["category_Tech"] == 0.0 and all(truth[c] == 0.0 for c in NULL_COLUMNS)
    assert list(synth.frame.columns)[:3] == ["date", "length", "views"] and len(synth.frame.columns) == 14
    # zeros mark exactly the blanked cells; the complete copy has none
    for col in ("watchedFullVideo", "newFollowers"):
        assert ((synth.frame[col] == 0) == synth.missing[col]).all()
        assert (synth.complete[col] > 0).all()
    assert synth.missing.to_numpy().any()
    counts = synth.frame["subject"].value_counts()
    assert counts["hardware"] == 1 and counts["python memes"] == 4
    pd.testing.assert_frame_equal(generate_videos(60, seed=3).frame, synth.frame)


@pytest.mark.parametrize("robust", [False, True])
def test_numbers_equal_statsmodels_summary(robust):
    result = analyse(generate_videos(194, 5).frame, FollowersConfig(seed=5, robust=robust, cv_folds=0))
    own = sm.OLS(result.target_.to_numpy(), result.design_).fit(cov_type="HC3" if robust else "nonrobust")
    summary = own.summary2().tables[1]  # Coef., Std.Err., t|z, P>|t|, [0.025, 0.975]
    table = result.coefficients
    np.testing.assert_allclose(table["estimate"], summary["Coef."], rtol=1e-9)
    np.testing.assert_allclose(table["std_error"], summary["Std.Err."], rtol=1e-9)
    np.testing.assert_allclose(table["t"], summary.iloc[:, 2], rtol=1e-9)
    np.testing.assert_allclose(table["p_value"], summary.iloc[:, 3], rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(table[["ci_low", "ci_high"]], summary.iloc[:, 4:6], rtol=1e-9)
    m = result.metrics
    assert m["r2"] == pytest.approx(own.rsquared) and m["adj_r2"] == pytest.approx(own.rsquared_adj)
    assert m["f_stat"] == pytest.approx(float(np.squeeze(own.fvalue)))
    assert m["f_pvalue"] == pytest.approx(float(own.f_pvalue), rel=1e-6, abs=1e-300)
    assert m["cov_type"] == ("HC3" if robust else "nonrobust")
    others = result.design_.drop(columns="views")
    r2_views = sm.OLS(result.design_["views"], others).fit().rsquared
    assert table.at["views", "vif"] == pytest.approx(1 / (1 - r2_views))


def test_per_unit_coefficients_are_the_standardised_ones_rescaled():
    result = analyse(generate_videos(194, 2).frame, FollowersConfig(seed=2, cv_folds=0))
    table = result.coefficients.drop(index="const")
    np.testing.assert_allclose(table["per_unit"], table["estimate"] / table["train_sd"], rtol=1e-6)
    np.testing.assert_allclose(table["per_unit_std_error"], table["std_error"] / table["train_sd"], rtol=1e-6)
    # the design really is standardised on the training rows
    design = result.design_.drop(columns="const")
    np.testing.assert_allclose(design.mean(), 0.0, atol=1e-9)
    np.testing.assert_allclose(design.std(ddof=0), 1.0, rtol=1e-9)


def test_test_and_cv_rmse_are_computed_on_recorded_targets():
    synth = generate_videos(194, 4)
    result = analyse(synth.frame, FollowersConfig(seed=4, cv_folds=4))
    m = result.metrics
    imputed_in_test = result.cleaning["imputed"]["newFollowers"]["test"]
    assert m["n_test_scored"] == m["n_test"] - imputed_in_test
    residual = result.test_actual_log_ - result.test_predicted_log_
    assert m["test_rmse_log"] == pytest.approx(np.sqrt(np.mean(residual**2)))
    # noise sd is 0.35: a sound model predicts unseen videos near it, far below the target's spread
    assert 0.25 < m["test_rmse_log"] < 0.6 and 0.25 < m["cv_rmse_log_mean"] < 0.6
    assert m["cv_rmse_log_sd"] > 0


def test_small_sample_and_collinearity_are_warned():
    frame = generate_videos(194, 0).frame
    warnings = analyse(frame, FollowersConfig(cv_folds=0)).warnings
    assert any(w.startswith("Small sample: 147 training rows for 16 terms") for w in warnings)
    big = analyse(generate_videos(1000, 0).frame, FollowersConfig(cv_folds=0)).warnings
    assert not any(w.startswith("Small sample") for w in big)
    duplicated = frame.assign(views_again=frame["views"] * 1.01 + np.random.default_rng(0).normal(0, 5, len(frame)))
    warned = analyse(duplicated, FollowersConfig(cv_folds=0)).warnings
    assert any(w.startswith("Collinearity") and "views_again" in w for w in warned)


def test_drivers_read_in_plain_language():
    result = analyse(generate_videos(194, 0).complete, FollowersConfig(cv_folds=0))
    positive, negative = result.drivers["positive"], result.drivers["negative"]
    assert any(line.startswith("subject 'data analytics' instead of 'programming': +") for line in positive)
    assert any(line.startswith("shares: one standard deviation more") for line in positive)
    assert any(line.startswith("watchedFullVideo:") for line in negative)
    assert not any("forYouPct" in line for line in positive + negative)
