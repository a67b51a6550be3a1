"""Claims models: the reference network's pinned recipe, the linear default, persistence and fixtures.

The saved fixtures in tests/fixtures/claims_model_{default,reference} are rebuilt with
``python tests/test_claims_models.py`` (only when the model format changes on purpose).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from viewcast.claims.linear import LinearClaimsModel
from viewcast.claims.models import DEFAULT_CONFIG, load_claims_model, make_model, save_claims_model, train_claims
from viewcast.claims.reference import OOV, PAD, ReferenceClaimsModel, build_vocabulary
from viewcast.claims.schema import COUNTS, TEXT, labels_to_int
from viewcast.errors import ModelLoadError
from viewcast.synth.claims import generate_claims

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROBE = pd.DataFrame(
    {
        TEXT: [
            "a friend read in the media that honey never spoils",
            "my friends think that honey never spoils",
            "according to a study published by researchers ants never sleep",
            "personally i reckon that koalas are lazy",
            "",
        ],
        "verified_status": ["not verified", "verified", "not verified", "unheard-of", ""],
        "author_ban_status": ["active", "banned", "under review", "active", "active"],
        "video_view_count": [500_000.0, 2_000.0, 300.0, 900_000.0, 5_000.0],
        "video_like_count": [90_000.0, 300.0, 20.0, 100_000.0, 100.0],
        "video_share_count": [9_000.0, 30.0, 1.0, 10_000.0, 10.0],
        "video_download_count": [800.0, 3.0, 0.0, 900.0, 1.0],
        "video_comment_count": [300.0, 1.0, 0.0, 400.0, 0.0],
    }
)
# P(opinion) of PROBE from the saved fixtures, recorded when they were built
EXPECTED = {
    "default": [0.0004937562, 0.9972848151, 2.21212e-05, 0.9998648695, 0.4515135097],
    "reference": [0.6778493524, 0.725071907, 0.3344295025, 0.9999986887, 0.4814490676],
}


@pytest.fixture(scope="module")
def synth() -> pd.DataFrame:
    return generate_claims(1200, seed=0).sample(frac=1.0, random_state=0).reset_index(drop=True)  # classes mixed


def test_reference_network_architecture_is_the_studys(synth):
    model = ReferenceClaimsModel(epochs=2).fit(synth.iloc[:300], labels_to_int(synth.iloc[:300]))
    shapes = {k: tuple(v.shape) for k, v in model.net_.state_dict().items()}
    # 5 counts + 2 verified levels + 3 ban levels -> 32 -> 16 ; 20 ids -> 32 -> 16 ; concat 32 -> 1
    assert shapes == {
        "numeric.0.weight": (32, 10),
        "numeric.0.bias": (32,),
        "numeric.2.weight": (16, 32),
        "numeric.2.bias": (16,),
        "text.0.weight": (32, 20),
        "text.0.bias": (32,),
        "text.2.weight": (16, 32),
        "text.2.bias": (16,),
        "head.weight": (1, 32),
        "head.bias": (1,),
    }
    assert isinstance(model.net_.numeric[1], torch.nn.ReLU) and isinstance(model.net_.text[3], torch.nn.ReLU)


def test_reference_preprocessing_ids_and_one_hots(synth):
    model = ReferenceClaimsModel(epochs=1).fit(synth.iloc[:200], labels_to_int(synth.iloc[:200]))
    assert model.vocabulary_[:2] == [PAD, OOV]
    long_text = " ".join(["that"] * 30)
    ids = model._ids(pd.Series(["that zzzunknown", long_text]))
    that = model.word_index_["that"]
    assert ids.shape == (2, 20) and list(ids[0, :3]) == [that, 1, 0]  # padded at the end, OOV = 1
    assert (ids[1] == that).all()  # truncated to 20 tokens
    numeric = model._numeric(PROBE)
    assert numeric.shape == (5, 10)
    assert numeric[3, 5:7].sum() == 0  # unseen verified_status -> all-zero one-hot
    np.testing.assert_allclose(model._numeric(synth.iloc[:200])[:, :5].mean(axis=0), 0, atol=1e-5)


def test_vocabulary_keeps_the_most_frequent_words():
    vocab = build_vocabulary(pd.Series(["b b b a a c", "c c c c"]), max_tokens=4)
    assert vocab == [PAD, OOV, "c", "b"]


def test_reference_restores_the_best_validation_epoch(synth):
    train, val = synth.iloc[:600], synth.iloc[600:800]
    model = ReferenceClaimsModel(epochs=4).fit(train, labels_to_int(train), (val, labels_to_int(val)), seed=1)
    history = model.history_
    assert len(history.val_metric) == 4 and history.best_epoch == int(np.argmax(history.val_metric))
    accuracy = ((model.predict_proba(val) >= 0.5) == labels_to_int(val)).mean()
    assert accuracy == pytest.approx(history.val_metric[history.best_epoch], abs=1e-6)


def test_default_model_reads_the_text_not_the_view_count(synth):
    """Trained where views separate the classes, it must still label by the text when views lie."""
    train, test = synth.iloc[:900], synth.iloc[900:].reset_index(drop=True)
    liar = test.copy()
    by_views = np.argsort(test["video_view_count"].to_numpy())
    counts = test[list(COUNTS)].to_numpy()
    counts[by_views] = counts[by_views[::-1]]  # the least-viewed video gets the most-viewed one's counts, and so on
    liar[list(COUNTS)] = counts
    flipped = (liar["video_view_count"] < 10_000) != (test["video_view_count"] < 10_000)
    assert flipped.mean() > 0.9
    default = make_model("default").fit(train, labels_to_int(train))
    numbers = make_model("numbers_only").fit(train, labels_to_int(train))
    y = labels_to_int(test)
    assert ((default.predict_proba(liar) >= 0.5) == y).mean() == 1.0
    assert ((numbers.predict_proba(liar) >= 0.5) == y)[flipped.to_numpy()].mean() < 0.1


def test_linear_prediction_from_arrays_matches_scikit_learn(synth):
    from sklearn.linear_model import LogisticRegression

    model = LinearClaimsModel(DEFAULT_CONFIG).fit(synth, labels_to_int(synth))
    frame, y, weight = model._with_bare_content(synth, labels_to_int(synth))
    assert len(frame) == 3 * len(synth) and weight[len(synth) :].sum() == pytest.approx(len(synth))  # 2 copies x 0.5
    reference = LogisticRegression(C=DEFAULT_CONFIG.C, solver="liblinear", random_state=0, max_iter=1000)
    reference.fit(model._features(frame), y, sample_weight=weight)
    np.testing.assert_allclose(model.predict_proba(PROBE), reference.predict_proba(model._features(PROBE))[:, 1], rtol=1e-9)


@pytest.mark.parametrize("name", ["default", "reference"])
def test_save_load_round_trip_predicts_identically(tmp_path, synth, name):
    model = make_model(name, epochs=2)
    model = model.fit(synth, labels_to_int(synth)) if name == "default" else model.fit(synth, labels_to_int(synth), seed=0)
    save_claims_model(tmp_path / "m", model)
    loaded = load_claims_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(PROBE), model.predict_proba(PROBE))


def test_a_transcript_without_stance_words_is_left_to_the_counts(synth):
    """The bare-content rows make 'no stance' neutral: views tip it, weakly, instead of a confident opinion."""
    model = make_model("default").fit(synth, labels_to_int(synth))
    bare = PROBE.iloc[[0, 0]].reset_index(drop=True)
    bare[TEXT] = "octopuses have three hearts"
    bare.loc[1, list(COUNTS)] = PROBE.loc[1, list(COUNTS)].to_numpy()  # few views
    p = model.predict_proba(bare)
    assert 0.2 < p[0] < p[1] < 0.8
    without = LinearClaimsModel(DEFAULT_CONFIG.model_copy(update={"bare_content": 0.0})).fit(synth, labels_to_int(synth))
    assert without.predict_proba(bare)[0] > 0.9  # the template's intercept: a confident, baseless "opinion"


def test_tampered_or_foreign_model_directories_are_refused(tmp_path, synth):
    model = make_model("default").fit(synth, labels_to_int(synth))
    save_claims_model(tmp_path / "m", model)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["vocabulary"][0] = "evil"
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="checksum mismatch"):
        load_claims_model(tmp_path / "m")
    from viewcast.persist import save_model

    save_model(tmp_path / "other", "forecast-lstm", {}, {})
    with pytest.raises(ModelLoadError, match="not a claims model"):
        load_claims_model(tmp_path / "other")
    config, tensors = model.to_saved()
    tensors["coef"] = tensors["coef"][:-1]
    save_model(tmp_path / "short", "claims-linear", config, tensors)
    with pytest.raises(ModelLoadError, match="shapes do not match"):
        load_claims_model(tmp_path / "short")


def test_train_claims_cv_reports_every_fold(synth):
    result = train_claims(synth.iloc[:400], "default", seed=0, cv=3)
    summary = result.summary()
    assert summary["cv"]["folds"] == 3 and len(summary["cv"]["per_fold"]) == 3
    assert summary["train_rows"] + summary["val_rows"] + summary["test_rows"] == 400
    assert summary["cv"]["accuracy_mean"] > 0.95


@pytest.mark.parametrize("name", ["default", "reference"])
def test_saved_fixture_still_loads_and_predicts_the_same(name):
    model = load_claims_model(FIXTURES / f"claims_model_{name}")
    np.testing.assert_allclose(model.predict_proba(PROBE), EXPECTED[name], rtol=1e-6, atol=1e-7)


def _build_fixtures() -> None:
    """Rebuild the tiny fixture models and print their PROBE predictions for EXPECTED."""
    frame = generate_claims(300, seed=7)
    y = labels_to_int(frame)
    for name in ("default", "reference"):
        model = make_model(name, epochs=2)
        model = model.fit(frame, y) if name == "default" else model.fit(frame, y, seed=0)
        save_claims_model(FIXTURES / f"claims_model_{name}", model)
        print(name, [round(float(p), 10) for p in load_claims_model(FIXTURES / f"claims_model_{name}").predict_proba(PROBE)])


if __name__ == "__main__":
    _build_fixtures()
