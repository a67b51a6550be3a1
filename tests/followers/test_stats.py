"""The study's recipe recovers the study-style truth, and every number equals statsmodels' own.

These tests pin the recipe that reproduces the study (raw scale, classical errors, no
multiple-testing correction, fitted on the training part): ``STUDY_RECIPE``. The issue-13
defaults are tested on log-scale truths in test_log_scale.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from viewcast.followers import STUDY_RECIPE, FollowersConfig, run
from viewcast.followers.data import clean_table
from viewcast.followers.evaluation import coefficient_table, split_rows
from viewcast.followers.fitting import fit_recipe
from viewcast.synth.videos import NUMERIC, STUDY_TRUTH, generate_videos

SEEDS = range(12)
REAL = {*STUDY_TRUTH.per_unit, "subject_data analytics"}


def study(**options) -> FollowersConfig:
    return FollowersConfig.parse(STUDY_RECIPE, **{"cv_folds": 0, **options})


def _runs(complete: bool) -> pd.DataFrame:
    """One row per (seed, term): truth, per-unit CI and p-value, from the default pipeline."""
    rows = []
    for seed in SEEDS:
        synth = generate_videos(194, seed, effects="study")
        result = run(synth.complete if complete else synth.frame, study(seed=seed))
        truth = synth.true_coefficients(**{f"{c}_baseline": b for c, b in result.cleaning["baselines"].items()})
        table = result.coefficients
        dropped = {alias["term"] for alias in result.aliases}
        assert set(truth) == set(table.index) | dropped and not dropped & REAL  # only null terms can be aliased away
        for term, true_value in truth.items():
            if term in dropped:
                continue
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
    synth = generate_videos(60, seed=3, effects="study")
    truth = synth.true_coefficients(category_baseline="Career", subject_baseline="data analytics")
    assert truth["subject_programming"] == -STUDY_TRUTH.subject_effect["data analytics"]
    assert truth["category_Tech"] == 0.0 and all(truth[c] == 0.0 for c in NUMERIC if c not in STUDY_TRUTH.per_unit)
    assert list(synth.frame.columns)[:3] == ["date", "length", "views"] and len(synth.frame.columns) == 14
    # zeros mark exactly the blanked cells; the complete copy has none
    for col in ("watchedFullVideo", "newFollowers"):
        assert ((synth.frame[col] == 0) == synth.missing[col]).all()
        assert (synth.complete[col] > 0).all()
    assert synth.missing.to_numpy().any()
    counts = synth.frame["subject"].value_counts()
    assert counts["hardware"] == 1 and counts["python memes"] == 4
    pd.testing.assert_frame_equal(generate_videos(60, seed=3, effects="study").frame, synth.frame)


@pytest.mark.parametrize("errors", ["classical", "hc3"])
def test_numbers_equal_statsmodels_summary(errors):
    config = study(seed=5, standard_errors=errors)
    table = clean_table(generate_videos(194, 5, effects="study").frame, config)
    fit = fit_recipe(table, split_rows(len(table.values), 0.2, 5)[0], "raw", config)
    own = sm.OLS(fit.y.to_numpy(), fit.X).fit(cov_type="HC3" if errors == "hc3" else "nonrobust")
    summary = own.summary2().tables[1]  # Coef., Std.Err., t|z, P>|t|, [0.025, 0.975]
    coefficients = coefficient_table(fit, 0.05, "none")
    np.testing.assert_allclose(coefficients["estimate"], summary["Coef."], rtol=1e-9)
    np.testing.assert_allclose(coefficients["std_error"], summary["Std.Err."], rtol=1e-9)
    np.testing.assert_allclose(coefficients["t"], summary.iloc[:, 2], rtol=1e-9)
    np.testing.assert_allclose(coefficients["p_value"], summary.iloc[:, 3], rtol=1e-6, atol=1e-300)
    np.testing.assert_allclose(coefficients[["ci_low", "ci_high"]], summary.iloc[:, 4:6], rtol=1e-9)
    assert fit.results.rsquared == pytest.approx(own.rsquared)
    assert (fit.results.cov_type == "HC3") == (errors == "hc3")
    others = fit.X.drop(columns="views")
    r2_views = sm.OLS(fit.X["views"], others).fit().rsquared
    assert coefficients.at["views", "vif"] == pytest.approx(1 / (1 - r2_views))
    # run() reports exactly this fit: the study recipe fits the same training part
    reported = run(generate_videos(194, 5, effects="study").frame, config).coefficients
    pd.testing.assert_frame_equal(reported, coefficients)


def test_per_unit_coefficients_are_the_standardised_ones_rescaled():
    result = run(generate_videos(194, 2, effects="study").frame, study(seed=2))
    table = result.coefficients.drop(index="const")
    np.testing.assert_allclose(table["per_unit"], table["estimate"] / table["train_sd"], rtol=1e-9)
    np.testing.assert_allclose(table["per_unit_std_error"], table["std_error"] / table["train_sd"], rtol=1e-9)
    # the intercept per unit is the prediction at all-zero predictors
    const = result.coefficients.loc["const"]
    assert const["per_unit"] == pytest.approx(
        const["estimate"] - (table["estimate"] * table["train_mean"] / table["train_sd"]).sum()
    )


def test_test_and_cv_rmse_are_computed_on_recorded_targets():
    synth = generate_videos(194, 4, effects="study")
    config = study(seed=4, cv_folds=4)
    result = run(synth.frame, config)
    m = result.metrics
    table = clean_table(synth.frame, config)
    _, test = split_rows(len(table.values), 0.2, 4)
    missing_in_test = int(table.values[table.target].iloc[test].isna().sum())
    assert missing_in_test > 0 and m["n_test_scored"] == m["n_test"] - missing_in_test
    residual = result.test_actual_log_ - result.test_predicted_log_
    assert m["test_rmse_log"] == pytest.approx(np.sqrt(np.mean(residual**2)))
    # noise sd is 0.35: a sound model predicts unseen videos near it, far below the target's spread
    assert 0.25 < m["test_rmse_log"] < 0.6 and 0.25 < m["cv_rmse_log_mean"] < 0.6
    assert m["cv_rmse_log_sd"] > 0


def test_small_sample_and_collinearity_are_warned():
    frame = generate_videos(194, 0, effects="study").frame
    warnings = run(frame, study()).warnings
    assert any(w.startswith("Small sample: 147 rows for 16 terms") for w in warnings)
    big = run(generate_videos(400, 0, effects="study").frame, study()).warnings
    assert not any(w.startswith("Small sample") for w in big)
    assert any(w.startswith("Collinearity: variance inflation factor above 10 for avgWatchTime (12.9)") for w in warnings)
    noisy_copy = frame["views"] * 1.01 + np.random.default_rng(0).normal(0, 300, len(frame))
    copied = run(frame.assign(views_again=noisy_copy), study())
    assert [a["term"] for a in copied.aliases] == ["views_again"] and copied.aliases[0]["aliased_with"] == ["views"]
    assert any(n.startswith("Aliased: views_again is nearly (R² = 0.98") for n in copied.notes)


def test_drivers_read_in_plain_language():
    result = run(generate_videos(194, 0, effects="study").complete, study())
    positive, negative = result.drivers["positive"], result.drivers["negative"]
    assert any(line.startswith("subject 'data analytics' instead of 'programming': +") for line in positive)
    assert any(line.startswith("shares: one standard deviation more") for line in positive)
    assert any(line.startswith("watchedFullVideo:") for line in negative)
    assert not any("forYouPct" in line for line in positive + negative)
