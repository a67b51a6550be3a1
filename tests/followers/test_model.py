"""The planner: answers equal statsmodels' prediction intervals, the state survives saving, and
a state that does not fit is refused when it is loaded."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import viewcast
from viewcast.errors import DataValidationError, ModelLoadError
from viewcast.followers import STUDY_RECIPE, FollowersConfig, FollowersModel, PlannedAnswer, PlannedVideo, predict, run
from viewcast.followers.data import clean_table
from viewcast.followers.evaluation import model_from_fit
from viewcast.followers.fitting import fit_recipe
from viewcast.io.jsonable import dumps
from viewcast.synth.videos import generate_videos

PLANNED = {
    "length": 30, "views": 3000, "likes": 180, "comments": 6, "shares": 9, "saves": 12,
    "avgWatchTime": 12.5, "watchedFullVideo": 20, "forYouPct": 80, "category": "Tech", "subject": "cloud",
}  # fmt: skip


@pytest.fixture(scope="module")
def fitted():
    config = FollowersConfig(cv_folds=0, scale="log", seed=1)
    table = clean_table(generate_videos(194, 1).frame, config)
    fit = fit_recipe(table, np.arange(len(table.values)), "log", config)
    return fit, model_from_fit(fit, table)


def test_answers_equal_statsmodels_prediction_intervals(fitted):
    fit, model = fitted
    planned = [PLANNED, {**PLANNED, "length": 90, "subject": "data analytics", "views": 12000}]
    answers = model.predict(planned)
    frame = pd.DataFrame(planned)
    X = fit.design.matrix(frame.reindex(columns=fit.design.numeric).astype(float), frame[["category", "subject"]])
    frame = fit.results.get_prediction(X).summary_frame(alpha=0.05)
    np.testing.assert_allclose([a["lo95"] for a in answers], np.expm1(frame["obs_ci_lower"]), rtol=1e-9)
    np.testing.assert_allclose([a["hi95"] for a in answers], np.expm1(frame["obs_ci_upper"]), rtol=1e-9)
    smearing = np.mean(np.exp(fit.results.resid))
    np.testing.assert_allclose([a["expected_new_followers"] for a in answers], np.exp(frame["mean"]) * smearing - 1, rtol=1e-9)
    assert all(a["lo95"] < a["expected_new_followers"] < a["hi95"] for a in answers)
    assert answers[1]["expected_new_followers"] > answers[0]["expected_new_followers"]  # more views, data analytics


def test_one_record_a_list_and_a_table_give_the_same_answers(fitted):
    _, model = fitted
    single = model.predict(PLANNED)
    assert set(single) == {"expected_new_followers", "lo95", "hi95", "outside_training_range"}
    assert model.predict([PLANNED]) == [single]
    table = model.predict(pd.DataFrame([PLANNED]))
    assert table.iloc[0]["lo95"] == pytest.approx(single["lo95"]) and table.iloc[0]["outside_training_range"] == ""
    assert json.loads(dumps(model.predict([PLANNED, PLANNED])))  # strict JSON


def test_not_recorded_fields_are_filled_as_in_training(fitted):
    _, model = fitted
    assert model.fillable == {"watchedFullVideo"}
    fill = model.design.fills["watchedFullVideo"]
    left_out = {k: v for k, v in PLANNED.items() if k != "watchedFullVideo"}
    expected = model.predict({**PLANNED, "watchedFullVideo": fill})
    assert model.predict(left_out) == expected
    assert model.predict({**PLANNED, "watchedFullVideo": 0}) == expected
    assert model.predict({**PLANNED, "watchedFullVideo": None}) == expected


def test_field_names_match_like_columns_and_extras_are_ignored(fitted):
    _, model = fitted
    renamed = {("Avg watch time" if k == "avgWatchTime" else k): v for k, v in PLANNED.items()}
    assert model.predict({**renamed, "title": "my next video"}) == model.predict(PLANNED)


def test_values_outside_the_training_range_are_flagged_and_overflow_refused(fitted):
    _, model = fitted
    assert model.predict({**PLANNED, "views": 5e6})["outside_training_range"] == ["views"]
    study = run(generate_videos(194, 1, effects="study").frame, FollowersConfig.parse(STUDY_RECIPE, cv_folds=0)).model
    with pytest.raises(DataValidationError, match=r"planned video 1: values so far outside .* views 1e\+15 \(training"):
        study.predict({**PLANNED, "totalPlayTime": 40_000, "views": 1e15})


def test_what_if_table_varies_length_and_levels(fitted):
    _, model = fitted
    table = model.what_if([20, 60])
    assert list(table.columns) == ["length", "category", "subject", "expected_new_followers", "lo95", "hi95"]
    assert len(table) == 2 * 3 * 4  # lengths x categories x subjects
    by_length = table.groupby("length")["expected_new_followers"].mean()
    assert by_length[60] < by_length[20]  # longer videos lose followers in this truth
    best = table.loc[table["expected_new_followers"].idxmax()]
    assert best["subject"] == "data analytics" and best["length"] == 20
    assert model.what_if(max_rows=5).shape[0] == 3 * (3 + 4 - 1)  # one column varies at a time


def test_state_round_trip_and_describe(fitted, tmp_path):
    _, model = fitted
    folder = model.save(tmp_path / "m")
    loaded = viewcast.load_model(folder)
    assert isinstance(loaded, FollowersModel) and loaded.predict(PLANNED) == model.predict(PLANNED)
    described = loaded.describe()
    assert described["inputs"][:2] == ["length", "views"] and described["optional_inputs"] == ["watchedFullVideo"]
    assert described["log_scale"] == ["views", "likes", "comments", "shares", "saves"]
    assert described["dropped_aliases"][0]["term"] == "totalPlayTime"
    assert predict(folder, PLANNED) == model.predict(PLANNED)


def _state(model):
    config, tensors = model.to_state()
    return json.loads(json.dumps(config)), dict(tensors)


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda c, t: t.update(coef=t["coef"][:-1]), r"array 'coef' has shape"),
        (lambda c, t: t.update(cov=np.eye(3)), r"array 'cov' has shape"),
        (lambda c, t: t["term_mean"].__setitem__(0, np.nan), r"array 'term_mean' holds NaN"),
        (lambda c, t: t.update(sigma2=np.array([-1.0])), r"residual variance and smearing factor must be positive"),
        (lambda c, t: t.update(term_scale=t["term_scale"] * 0), r"standard deviations of the terms must be positive"),
        (lambda c, t: t.pop("numeric_max"), r"array 'numeric_max' is missing"),
        (lambda c, t: c["terms"].append("made_up"), r"terms that no column or level produces"),
        (lambda c, t: c["baselines"].update(subject="gaming"), r"baseline of 'subject' is not one of its levels"),
        (lambda c, t: c.update(fills={"watchedFullVideo": float("nan")}), r"config entry 'fills.watchedFullVideo'"),
        (lambda c, t: c.update(df_resid=0), r"config entry 'df_resid'"),
        (lambda c, t: c.pop("levels"), r"config entry 'levels': Field required"),
        (lambda c, t: c.update(extra=1), r"config entry 'extra': Extra inputs are not permitted"),
        (lambda c, t: c.update(state_version=99), r"config entry 'state_version'"),
        (lambda c, t: c.update(log_columns=["nosuch"]), r"log columns are not numeric columns"),
    ],
)
def test_a_state_that_does_not_fit_is_refused(fitted, change, pattern):
    config, tensors = _state(fitted[1])
    change(config, tensors)
    with pytest.raises(ModelLoadError, match=pattern):
        FollowersModel.from_state(config, tensors)


def test_planned_video_schema_is_published_for_the_service(fitted):
    schema = PlannedVideo.model_json_schema()
    assert {"length", "views", "shares", "totalPlayTime", "category", "subject"} <= set(schema["properties"])
    assert schema["additionalProperties"] is True and "seconds" in schema["properties"]["length"]["description"]
    record = PlannedVideo.model_validate({**PLANNED, "title": "extra fields travel along"})
    assert record.views == 3000.0
    # the service may hand validated records to the model as they are
    model = fitted[1]
    assert model.predict(record) == model.predict(PLANNED)
    for answer in model.predict([record, record]):
        assert answer["lo95"] == pytest.approx(model.predict(PLANNED)["lo95"], rel=1e-12)
    assert PlannedAnswer.model_validate(model.predict(PLANNED)).lo95 > 0


def test_api_fit_and_predict_from_a_path(tmp_path):
    videos = generate_videos(150, 2)
    videos.frame.to_csv(tmp_path / "videos.csv", index=False)
    result = viewcast.followers(tmp_path / "videos.csv", cv_folds=3, seed=2)
    assert result.source.endswith("videos.csv") and result.model.KIND == "followers"
    pd.DataFrame([PLANNED, {**PLANNED, "length": 60}]).to_csv(tmp_path / "planned.csv", index=False)
    answered = predict(result.model, tmp_path / "planned.csv")
    assert list(answered.columns[-4:]) == ["expected_new_followers", "lo95", "hi95", "outside_training_range"]
    assert len(answered) == 2 and answered["expected_new_followers"].iloc[1] < answered["expected_new_followers"].iloc[0]
