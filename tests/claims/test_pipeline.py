"""The claims API: ``viewcast.claims``, ``eda``, ``evaluate`` and ``predict_table`` on synthetic tables with known labels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import viewcast
from viewcast.claims.config import ClaimsConfig, EvaluationConfig
from viewcast.claims.data import COUNTS, LABEL, TEXT
from viewcast.claims.pipeline import eda, evaluate, predict_table, run
from viewcast.errors import ConfigError, DataValidationError
from viewcast.synth.claims import generate_claims


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return generate_claims(400, seed=3)


@pytest.fixture(scope="module")
def trained(table):
    return viewcast.claims(table, cv=3, seed=1)


def _strict(data):
    return json.loads(json.dumps(data, allow_nan=False))


def test_training_result_reports_the_study_split_and_the_folds(trained):
    summary = _strict(trained.to_dict())
    assert (summary["rows"], summary["train_rows"], summary["val_rows"], summary["test_rows"]) == (400, 256, 64, 80)
    assert summary["model"] == "default" and summary["kind"] == "claims-linear"
    assert summary["val_accuracy"] == summary["validation"]["accuracy"] == 1.0
    assert summary["validation"]["confusion"] == [[29, 0], [0, 35]]  # 64 validation rows, none wrong
    cv = summary["cv"]
    assert cv["folds"] == 3 and len(cv["per_fold"]) == 3 and sum(f["n"] for f in cv["per_fold"]) == 400
    assert cv["accuracy_mean"] == pytest.approx(np.mean([f["accuracy"] for f in cv["per_fold"]]))
    assert trained.model.training == trained.to_dict()  # what the saved folder will keep


def test_the_api_function_and_run_agree(table, trained):
    again = run(table, ClaimsConfig(cv=3, seed=1))
    np.testing.assert_array_equal(again.model.predict(table)["p_opinion"], trained.model.predict(table)["p_opinion"])
    assert viewcast.claims(table, {"model": "numbers_only"}).model.name == "numbers_only"


@pytest.mark.parametrize(
    ("options", "param", "message"),
    [
        ({"model": "nosuch"}, "model", "Input should be 'default', 'reference', 'encoder'"),
        ({"cv": 1}, "cv", "greater than or equal to 2"),
        ({"cv": 100_000}, "cv", "less than or equal to 100"),
        ({"epochs": 0}, "epochs", "greater than or equal to 1"),
        ({"seed": -1}, "seed", "greater than or equal to 0"),
        ({"horizon": 3}, "horizon", "unknown option"),
        ({"cv": "three"}, "cv", "valid integer"),
    ],
)
def test_bad_options_name_their_parameter(table, options, param, message):
    with pytest.raises(ConfigError, match=message) as raised:
        viewcast.claims(table, **options)
    assert raised.value.param == param


def test_more_folds_than_the_smaller_class_has_rows_is_refused(table):
    with pytest.raises(ConfigError, match="60 folds, but the smaller class has only 10 rows") as raised:
        run(pd.concat([table.iloc[:10], table.iloc[200:260]]), ClaimsConfig(cv=60))
    assert raised.value.param == "cv"


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (lambda t: pd.concat([t.iloc[:5], t.iloc[-4:]]), "need at least 10 labelled rows"),
        (lambda t: t[t[LABEL] == "claim"], "only one class"),
        (lambda t: t.assign(claim_status=None), "no row has a label"),
        (lambda t: t.drop(columns=[TEXT]), "missing column 'video_transcription_text'"),
        (lambda t: t.iloc[:0], "the table has no rows"),
    ],
)
def test_unusable_tables_are_refused(table, frame, message):
    with pytest.raises(DataValidationError, match=message):
        viewcast.claims(frame(table))


def test_eda_counts_the_table_and_finds_the_built_in_shortcuts(table):
    holes = table.astype(object).copy()
    holes.loc[[5, 9], LABEL] = None
    holes.loc[7, "video_duration_sec"] = None
    result = eda(holes)
    assert result.rows == 398 and result.dropped_unlabelled == 2
    assert result.class_counts == {
        "claim": int((holes[LABEL] == "claim").sum()),
        "opinion": int((holes[LABEL] == "opinion").sum()),
    }
    assert result.missing["claim_status"] == 2 and result.missing["video_duration_sec"] == 1 and result.missing[TEXT] == 0
    shortcuts = {f.check for f in result.shortcuts}
    assert {"one rule on video_view_count", "# vs label"} <= shortcuts and "video_id vs label" not in shortcuts
    payload = _strict(result.to_dict())
    assert [f["check"] for f in payload["leakage_audit"]] == [f.check for f in result.findings]
    assert payload["telling_terms"]["claim"][0].keys() == {"term", "log_odds", "count"}


def test_evaluate_scores_the_held_out_rows_and_the_stress_sets(table, trained):
    result = evaluate(trained.model, table, EvaluationConfig(seed=2))
    assert result.metrics["n"] == 80 and len(result.y_true_) == len(result.p_opinion_) == 80
    assert set(result.stress) == {"no_opening", "typos", "counts_shuffled", "off_template"}
    assert result.stress["off_template"]["n"] == 90 and result.stress["off_template"]["drop"] is None
    for name in ("no_opening", "typos", "counts_shuffled"):
        stressed = result.stress[name]
        assert stressed["drop"] == pytest.approx(result.metrics["accuracy"] - stressed["accuracy"])
    wrong = int(result.metrics["confusion"][0][1] + result.metrics["confusion"][1][0])
    assert len(result.misclassified) == wrong and not result.warnings
    assert {t for t, _ in result.top_terms["opinion"]} & {"believe", "believes", "think", "feel", "view", "convinced"}
    _strict(result.to_dict())


def test_evaluate_warns_when_the_table_is_not_the_training_table(table, trained):
    result = evaluate(trained.model, table.iloc[:300])
    assert result.warnings and "trained on a table of 400 rows, this one has 300" in result.warnings[0]


def test_misclassified_rows_are_the_ones_the_model_gets_wrong(table, trained):
    flipped = table.copy()
    flipped[LABEL] = np.where(flipped[LABEL] == "claim", "opinion", "claim")  # every label now wrong
    result = evaluate(trained.model, flipped)
    assert result.metrics["accuracy"] == 0.0 and len(result.misclassified) == 80
    assert (result.misclassified[LABEL] != result.misclassified["predicted"]).all()
    assert list(result.misclassified.columns[:4]) == [LABEL, "predicted", "probability", TEXT]


def test_predict_table_keeps_ids_and_adds_the_answers(table, trained, tmp_path):
    batch = predict_table(trained.model, table.drop(columns=[LABEL]))
    assert len(batch.table) == 400 and (batch.table["label"] == table[LABEL]).all()
    assert batch.label_counts() == {"claim": 200, "opinion": 200}
    assert {"video_id", "#", *COUNTS} <= set(batch.table.columns)
    batch.save(tmp_path / "p.jsonl")
    first = json.loads((tmp_path / "p.jsonl").read_text().splitlines()[0])
    assert first["video_id"] == int(table["video_id"][0]) and isinstance(first["video_view_count"], int)
    assert _strict(batch.to_dict())["rows"] == 400
