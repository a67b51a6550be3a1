"""Claims models: the reference network's pinned recipe, the linear default, state checks and fixtures.

tests/fixtures/claims_model_{default,reference} were saved by viewcast 0.1.0 (format 1) and must
keep loading and predicting the numbers recorded below; never rebuild them. The format-2 folders
claims_model_{default,reference}_v2 were saved by this version; ``python tests/claims/test_models.py``
writes them (only into folders that do not exist yet) and prints their predictions for EXPECTED.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.numpy import load_file, save_file

import viewcast
from viewcast.claims.data import COUNTS, TEXT, Prediction, labels_to_int
from viewcast.claims.models.candidates import DEFAULT_CONFIG, make_model
from viewcast.claims.models.linear import LinearClaimsModel
from viewcast.claims.models.reference import OOV, PAD, ReferenceClaimsModel, build_vocabulary
from viewcast.errors import ModelLoadError
from viewcast.io.persist import KEY_VARIABLE, file_sha256
from viewcast.io.registry import load_model, save
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
    "claims_model_default": [0.0004937562, 0.9972848151, 2.21212e-05, 0.9998648695, 0.4515135097],
    "claims_model_reference": [0.6778493524, 0.725071907, 0.3344295025, 0.9999986887, 0.4814490676],
    "claims_model_default_v2": [0.0007237025, 0.995652012, 3.80854e-05, 0.9997413182, 0.4572849122],
    "claims_model_reference_v2": [0.2457073182, 0.4302098751, 0.4034346342, 0.9999854565, 0.4477622807],
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


@pytest.fixture(scope="module")
def fitted(synth) -> dict[str, object]:
    default = make_model("default").fit(synth, labels_to_int(synth))
    reference = make_model("reference", epochs=2).fit(synth, labels_to_int(synth), seed=0)
    return {"default": default, "reference": reference}


@pytest.mark.parametrize("name", ["default", "reference"])
def test_save_load_round_trip_predicts_identically(tmp_path, fitted, name):
    model = fitted[name]
    model.training = {"rows": 1200}
    model.save(tmp_path / "m")
    loaded = viewcast.load_model(tmp_path / "m")
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(PROBE)["p_opinion"], model.predict(PROBE)["p_opinion"])
    assert loaded.describe()["training"] == {"rows": 1200} and loaded.describe()["kind"] == model.KIND
    assert loaded.manifest_["metrics"] == {"rows": 1200}


@pytest.mark.parametrize("name", ["default", "reference"])
def test_predict_answers_in_the_shape_of_the_request(fitted, name):
    model = fitted[name]
    frame = model.predict(PROBE)
    assert list(frame.columns) == ["label", "probability", "p_opinion"] and frame.index.equals(PROBE.index)
    assert ((frame["label"] == "opinion") == (frame["p_opinion"] >= 0.5)).all()
    np.testing.assert_allclose(
        frame["probability"], np.where(frame["label"] == "opinion", frame["p_opinion"], 1 - frame["p_opinion"])
    )
    records = PROBE.to_dict("records")
    listed = model.predict(records)
    assert [a["label"] for a in listed] == frame["label"].tolist()
    np.testing.assert_allclose([a["p_opinion"] for a in listed], frame["p_opinion"], rtol=1e-12)
    one = model.predict(records[1])
    Prediction.model_validate(one)  # the service's response schema
    assert set(one) == {"label", "probability", "p_opinion"} and one["label"] == listed[1]["label"]
    assert one["p_opinion"] == pytest.approx(listed[1]["p_opinion"], rel=1e-5)  # float32 network: batch size may matter
    assert json.loads(json.dumps(one, allow_nan=False)) == one


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


def _rehashed(folder: Path) -> Path:
    """Recompute the folder's checksums after an edit (what an attacker without the key can do)."""
    meta = json.loads((folder / "metadata.json").read_text())
    meta["sha256"] = {name: file_sha256(folder / name) for name in meta["sha256"]}
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


def _edit_weights(folder: Path, edit) -> Path:
    tensors = load_file(str(folder / "weights.safetensors"))
    edit(tensors)
    save_file(tensors, str(folder / "weights.safetensors"))
    return _rehashed(folder)


def _edit_config(folder: Path, edit) -> Path:
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))
    return _rehashed(folder)


def _poison(tensors: dict, name: str, value: float) -> None:
    array = tensors[name].copy()
    array.flat[0] = value
    tensors[name] = array


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        ("default", lambda t: _poison(t, "coef", np.nan), "'coef' holds NaN or infinite values"),
        ("default", lambda t: _poison(t, "idf", np.inf), "'idf' holds NaN or infinite values"),
        ("default", lambda t: t.update(coef=t["coef"][:-1]), r"'coef' has shape \(\d+,\), expected"),
        ("default", lambda t: t.update(idf=t["idf"][:-3]), "'idf' has shape"),
        ("default", lambda t: _poison(t, "count_scale", 0.0), "count scales must be positive"),
        ("default", lambda t: t.pop("intercept"), "expected \\['coef', 'count_mean', 'count_scale', 'idf', 'intercept'\\]"),
        ("reference", lambda t: _poison(t, "net.head.weight", np.nan), "'net.head.weight' holds NaN"),
        ("reference", lambda t: t.update({"net.text.0.weight": t["net.text.0.weight"][:, :5]}), "'net.text.0.weight' has shape"),
        ("reference", lambda t: t.update(extra=np.zeros(3)), "arrays .*'extra'"),
    ],
)
def test_edited_weights_are_refused_at_load(tmp_path, fitted, monkeypatch, name, edit, message):
    """Without VIEWCAST_MODEL_KEY a re-hashed folder passes the checksums: the state checks must catch it."""
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    folder = _edit_weights(fitted[name].save(tmp_path / "m"), edit)
    with pytest.raises(ModelLoadError, match=message):
        load_model(folder)


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        ("default", lambda c: c["vocabulary"].append("not in idf"), "'idf' has shape"),
        ("default", lambda c: c["vocabulary"].__setitem__(1, c["vocabulary"][0]), "repeats an n-gram"),
        ("default", lambda c: c["vocabulary"].__setitem__(0, "one two three"), "1..ngram_max words"),
        ("default", lambda c: c["linear"].update(cue_weight=float("inf")), "'linear.cue_weight': Input should be a finite"),
        ("default", lambda c: c["linear"].update(use_cues=False), "'coef' has shape"),
        ("default", lambda c: c["tfidf"].update(min_df=1), "'tfidf' settings differ"),
        ("default", lambda c: c.update(evil=True), "'evil': unknown entry"),
        ("reference", lambda c: c["ban_levels"].append("new level"), "'net.numeric.0.weight' has shape"),
        ("reference", lambda c: c.update(sequence_length=21), "'net.text.0.weight' has shape"),
        ("reference", lambda c: c.update(vocabulary=["a", "b"]), "must start with the padding"),
        ("reference", lambda c: c.update(learning_rate=-1), "'learning_rate': Input should be greater than 0"),
    ],
)
def test_edited_configs_are_refused_at_load(tmp_path, fitted, monkeypatch, name, edit, message):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    folder = _edit_config(fitted[name].save(tmp_path / "m"), edit)
    with pytest.raises(ModelLoadError, match=message):
        load_model(folder)


def test_a_model_of_another_kind_is_refused_where_a_claims_model_is_expected(tmp_path, fitted):
    folder = fitted["default"].save(tmp_path / "m")
    with pytest.raises(ModelLoadError, match="holds a 'claims-linear' model, expected 'forecast'"):
        load_model(folder, kind="forecast")
    with pytest.raises(ModelLoadError, match="holds a 'forecast' model"):
        load_model(FIXTURES / "forecast_ets_model", kind=("claims-linear", "claims-reference", "claims-encoder"))


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_saved_fixture_still_loads_and_predicts_the_same(folder, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    model = viewcast.load_model(FIXTURES / folder)
    assert model.KIND == ("claims-reference" if "reference" in folder else "claims-linear")
    np.testing.assert_allclose(model.predict(PROBE)["p_opinion"], EXPECTED[folder], rtol=1e-6, atol=1e-7)
    assert model.describe()["settings"]


def _build_fixtures() -> None:
    """Write the format-2 fixture models (never over an existing folder) and print their PROBE predictions."""
    frame = generate_claims(300, seed=7)
    for name in ("default", "reference"):
        folder = FIXTURES / f"claims_model_{name}_v2"
        if folder.exists():
            print(f"{folder} exists; left alone")
            continue
        result = viewcast.claims(frame, model=name, epochs=2, seed=0)
        save(result.model, folder, metrics={"rows": result.rows, "note": "contract fixture, viewcast format 2"})
        print(folder.name, [round(float(p), 10) for p in viewcast.load_model(folder).predict(PROBE)["p_opinion"]])


if __name__ == "__main__":
    _build_fixtures()
