"""Follower drivers: each cleaning step pinned (levels, baselines, imputation, split, renaming)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from viewcast.followers import STUDY_RECIPE, FollowersConfig, run
from viewcast.followers.data import clean_table, reduce_levels
from viewcast.followers.design import choose_baseline, expand, fill_value
from viewcast.followers.evaluation import split_rows
from viewcast.followers.fitting import fit_recipe
from viewcast.synth.videos import RARE_CATEGORIES, RARE_SUBJECTS, generate_videos


def study(**options) -> FollowersConfig:
    """The study's recipe (raw scale, fitted on the training part, mode-filled target), no CV."""
    return FollowersConfig.parse(STUDY_RECIPE, cv_folds=0, **options)


def _common_levels(seed: int = 0, rows: int = 194) -> pd.DataFrame:
    """Synthetic videos without the rare levels, so row positions survive the reduction step."""
    frame = generate_videos(rows, seed).frame
    rare = frame["category"].isin(list(RARE_CATEGORIES)) | frame["subject"].isin(list(RARE_SUBJECTS))
    return frame[~rare].reset_index(drop=True)


def test_levels_seen_five_times_or_less_are_dropped_six_kept():
    levels = pd.DataFrame({"category": ["a"] * 6 + ["b"] * 5, "subject": ["s"] * 11})
    keep, dropped = reduce_levels(levels, 5)
    assert keep.tolist() == [True] * 6 + [False] * 5
    assert dropped == [{"column": "category", "level": "b", "rows": 5}]
    keep, dropped = reduce_levels(levels, 4)
    assert keep.all() and dropped == []


def test_level_counting_repeats_until_every_level_is_frequent():
    # dropping the 2 rows of subject 'r' leaves category 'B' with 5 rows: it must go too
    levels = pd.DataFrame({"category": ["A"] * 8 + ["B"] * 7, "subject": ["s"] * 13 + ["r"] * 2})
    keep, dropped = reduce_levels(levels, 5)
    assert keep.tolist() == [True] * 8 + [False] * 7
    assert dropped == [{"column": "category", "level": "B", "rows": 5}, {"column": "subject", "level": "r", "rows": 2}]


def test_baseline_is_most_frequent_level_ties_alphabetical():
    assert choose_baseline(pd.Series(["b", "a", "b", "a", "c"])) == "a"
    assert choose_baseline(pd.Series(["z", "z", "a"])) == "z"


def test_dummies_named_by_level_against_the_baseline():
    levels = pd.DataFrame({"subject": ["data analytics", "cloud", "programming", "cloud"]})
    known = {"subject": ["cloud", "data analytics", "programming"]}
    dummies = expand(pd.DataFrame(index=levels.index), levels, [], [], {}, known, {"subject": "cloud"})
    assert list(dummies.columns) == ["subject_data analytics", "subject_programming"]
    assert dummies.to_numpy().tolist() == [[1, 0], [0, 0], [0, 1], [0, 0]]


def test_analysis_reports_dropped_levels_and_baselines():
    synth = generate_videos(194, 0)
    result = run(synth.frame, study())
    dropped = {(d["column"], d["level"]): d["rows"] for d in result.cleaning["dropped_levels"]}
    assert dropped == {**{("category", k): v for k, v in RARE_CATEGORIES.items()},
                       **{("subject", k): v for k, v in RARE_SUBJECTS.items()}}  # fmt: skip
    assert result.cleaning["rows_used"] == 194 - sum(dropped.values())
    counts = synth.frame["subject"].value_counts()
    assert result.cleaning["baselines"]["subject"] == counts.index[0] == "programming"
    terms = list(result.coefficients.index)
    assert "subject_programming" not in terms and "subject_data analytics" in terms
    assert not any(t.startswith(("category_Vlog", "subject_hardware")) for t in terms)
    assert result.cleaning["ignored"] == ["date"]


def test_split_is_seeded_shuffled_and_80_20():
    train, test = split_rows(184, 0.2, seed=7)
    again, _ = split_rows(184, 0.2, seed=7)
    other, _ = split_rows(184, 0.2, seed=8)
    assert len(test) == 37 and len(train) == 147 and not set(train) & set(test)
    assert np.array_equal(train, again) and not np.array_equal(train, other)
    assert not np.array_equal(test, np.arange(147, 184))  # shuffled, not the last rows


def test_mode_breaks_ties_with_smallest_value_mean_and_median():
    assert fill_value(pd.Series([3.0, 1.0, 3.0, 1.0, 2.0]), "mode") == 1.0
    assert fill_value(pd.Series([1.0, 2.0, 6.0]), "mean") == 3.0
    assert fill_value(pd.Series([1.0, 2.0, 6.0]), "median") == 2.0


def test_design_learns_fills_and_scaling_from_the_rows_it_fits():
    frame = pd.DataFrame(
        {
            "w": [10, 0, 20, 30, 0, 1000, 40, 5],
            "d": [1, 0, 1, 0, 3, 1, 2, 2],
            "t": [5, 7, 0, 7, 9, 0, 4, 6],
        }
    )
    config = FollowersConfig(target="t", missing_zero={"w": "mean", "t": "mode"}, scale="raw", cv_folds=0)
    table = clean_table(frame, config)
    fit = fit_recipe(table, np.arange(5), "raw", config)  # rows 0-4: w recorded 10, 20, 30 -> fill 20
    assert fit.design.fills == {"w": 20.0} and fit.target_fill == 7.0
    train_filled = pd.Series([10.0, 20.0, 20.0, 30.0, 20.0])
    assert fit.design.mean[0] == pytest.approx(train_filled.mean())
    assert fit.design.scale[0] == pytest.approx(train_filled.std(ddof=0))
    other = fit.design.matrix(pd.DataFrame({"w": [np.nan, 1000.0], "d": [1.0, 1.0]}), pd.DataFrame(index=[0, 1]))
    assert list(other.columns) == ["const", "w", "d"]
    assert other["w"].tolist() == pytest.approx(
        [(20 - train_filled.mean()) / train_filled.std(ddof=0), (1000 - train_filled.mean()) / train_filled.std(ddof=0)]
    )
    assert fit.y.tolist() == pytest.approx(np.log1p([5.0, 7.0, 7.0, 7.0, 9.0]))


def test_imputation_statistics_come_from_the_training_part():
    frame = _common_levels()
    train, test = split_rows(len(frame), 0.2, seed=0)
    watched = frame["watchedFullVideo"].astype(float)
    followers = frame["newFollowers"]
    result = run(frame, study())
    imputed = result.cleaning["imputed"]
    train_watched = watched.iloc[train][watched.iloc[train] > 0]
    assert imputed["watchedFullVideo"]["fill_value"] == pytest.approx(train_watched.mean())
    assert imputed["watchedFullVideo"]["fill_value"] != pytest.approx(watched[watched > 0].mean())
    assert imputed["watchedFullVideo"]["cells"] == int((watched.iloc[train] == 0).sum())
    assert int((watched.iloc[test] == 0).sum()) > 0  # the test part has missing cells too, filled the same way
    train_followers = followers.iloc[train][followers.iloc[train] > 0]
    assert imputed["newFollowers"]["fill_value"] == fill_value(train_followers.astype(float), "mode")


def test_changing_test_rows_leaves_the_fit_unchanged():
    # The strongest leakage check: the fit may depend on training rows only.
    frame = _common_levels(seed=1)
    _, test = split_rows(len(frame), 0.2, seed=0)
    altered = frame.copy()
    for column in ("watchedFullVideo", "views", "length", "newFollowers"):
        altered.loc[test, column] = altered.loc[test, column] * 3 + 7
    base = run(frame, study()).coefficients
    moved = run(altered, study()).coefficients
    pd.testing.assert_frame_equal(base, moved)


def test_drop_and_none_strategies():
    frame = _common_levels(seed=2)
    zeros = int((frame["newFollowers"] == 0).sum())
    assert zeros > 0
    config = study(missing_zero={"newFollowers": "drop", "watchedFullVideo": "none"})
    result = run(frame, config)
    assert result.cleaning["rows_used"] == len(frame) - zeros
    assert result.cleaning["dropped_missing"] == {"newFollowers": zeros}
    assert result.cleaning["imputed"] == {}
    watched = frame["watchedFullVideo"]
    assert result.coefficients.at["watchedFullVideo", "train_mean"] < watched[watched > 0].mean()  # zeros kept


def test_blank_cells_count_as_missing_where_zeros_do():
    frame = _common_levels(seed=3).astype(str)
    frame.loc[frame["watchedFullVideo"] == "0.0", "watchedFullVideo"] = ""
    blank = run(frame, study()).coefficients
    zero = run(_common_levels(seed=3), study()).coefficients
    pd.testing.assert_frame_equal(blank, zero)


def test_column_map_renames_a_real_export():
    frame = _common_levels(seed=4)
    studio = frame.rename(columns={"views": "Video views", "newFollowers": "New followers", "subject": "Topic"})
    column_map = {"video views": "views", "New followers": "newFollowers", "Topic": "subject"}
    mapped = run(studio, study(column_map=column_map))
    pd.testing.assert_frame_equal(mapped.coefficients, run(frame, study()).coefficients)
    assert mapped.cleaning["renamed"] == {"Video views": "views", "New followers": "newFollowers", "Topic": "subject"}


def test_ignore_and_other_target():
    frame = _common_levels(seed=5)
    result = run(frame, study(ignore=["totalPlayTime", "forYouPct"], target="shares"))
    assert "totalPlayTime" not in result.coefficients.index and "shares" not in result.coefficients.index
    assert "newFollowers" in result.coefficients.index  # an ordinary predictor now (imputed by mode)
    assert result.cleaning["ignored"] == ["totalPlayTime", "forYouPct", "date"]
    # ignoring a column the study imputes drops its default imputation instead of failing
    without = run(frame, study(ignore=["watchedFullVideo"]))
    assert set(without.cleaning["imputed"]) == {"newFollowers"}


def test_rows_dropped_for_missing_values_go_before_level_counting():
    frame = _common_levels(seed=6)
    rows = frame.index[frame["newFollowers"] > 0][:6]
    frame.loc[rows, "category"] = "Shorts"
    frame.loc[rows[0], "newFollowers"] = 0
    kept = run(frame, study())
    assert "category_Shorts" in kept.coefficients.index  # 6 rows, the zero imputed
    dropped = run(frame, study(missing_zero={"newFollowers": "drop"}))
    assert {"column": "category", "level": "Shorts", "rows": 5} in dropped.cleaning["dropped_levels"]
