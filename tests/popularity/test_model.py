"""The serving model: it ranks the next slot from its saved state, old folders still load, bad state is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import viewcast
from viewcast.errors import ConfigError, DataValidationError, LimitError, ModelLoadError
from viewcast.io.persist import file_sha256
from viewcast.io.registry import load_model
from viewcast.popularity.model import PopularityModel

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LEGACY, CURRENT = FIXTURES / "popularity_model", FIXTURES / "popularity_model_v2"


def _rehash(folder: Path) -> None:
    meta = json.loads((folder / "metadata.json").read_text())
    meta["sha256"] = {name: file_sha256(folder / name) for name in meta["sha256"]}
    (folder / "metadata.json").write_text(json.dumps(meta))


def edited_copy(tmp_path: Path, source: Path, *, config=None, tensors=None) -> Path:
    """A copy of a model folder with config.json and/or the arrays changed, checksums recomputed."""
    folder = tmp_path / "edited"
    shutil.copytree(source, folder)
    if config is not None:
        data = json.loads((folder / "config.json").read_text())
        config(data)
        (folder / "config.json").write_text(json.dumps(data))
    if tensors is not None:
        arrays = dict(load_file(str(folder / "weights.safetensors")))
        tensors(arrays)
        save_file(arrays, str(folder / "weights.safetensors"))
    _rehash(folder)
    return folder


def test_model_saved_by_0_1_loads_and_answers_a_request_carrying_its_own_counts():
    model = viewcast.load_model(LEGACY)
    assert isinstance(model, PopularityModel) and model.state is None and model.settings.cell == "gru"
    request = {
        "slots": [
            {"slot": 100, "counts": {"1": 3, "2": 1}},
            {"slot": 101, "counts": {"2": 2, "3": 5}},
            {"slot": 103, "counts": {"1": 1}},
        ],
        "top": 3,
    }
    answer = model.predict(request)
    assert answer["slot"] == 104 and answer["slot_start"] is None and answer["candidates"] == 3
    assert [item["rank"] for item in answer["items"]] == [1, 2, 3] and {i["item"] for i in answer["items"]} == {1, 2, 3}
    shares = [item["share"] for item in answer["items"]]
    assert shares == sorted(shares, reverse=True) and sum(shares) == pytest.approx(1.0)
    assert answer == model.predict(request)  # deterministic
    with pytest.raises(DataValidationError, match="no feature state") as caught:
        model.predict({"slots": [], "top": 3})
    assert caught.value.param == "slots"
    with pytest.raises(DataValidationError, match="slot length"):
        model.predict({"slots": [{"slot": "2016-01-01", "counts": {"1": 1}}]})


def test_model_with_state_gives_the_answer_it_gave_when_saved():
    expected = json.loads((FIXTURES / "popularity_expected_v2.json").read_text())
    model = load_model(CURRENT)
    assert model.slot == "daily" and model.items.size == 12 and model.describe()["next_slot"] == 15040
    answer = model.predict(expected["request"])
    # the same items in the same order; shares to float32 precision (the kernels' rounding differs by CPU)
    assert [(i["item"], i["rank"]) for i in answer["items"]] == [(i["item"], i["rank"]) for i in expected["answer"]["items"]]
    assert [i["share"] for i in answer["items"]] == pytest.approx([i["share"] for i in expected["answer"]["items"]], rel=1e-5)
    assert {k: v for k, v in answer.items() if k != "items"} == {k: v for k, v in expected["answer"].items() if k != "items"}


def test_the_saved_state_is_the_state_after_the_whole_log(trained, prepared_folder, tmp_path):
    from viewcast.popularity.data import read_prepared
    from viewcast.popularity.features import FeatureState, LogPass

    model = trained.model
    log = read_prepared(prepared_folder).slot_log()
    log_pass = LogPass(log, FeatureState.empty(log.n_items, model.settings.window), log.n_slots)
    assert len(list(log_pass)) >= 1
    for name, value in log_pass.state.arrays().items():
        assert np.allclose(getattr(model.state, name), value), name
    answer = model.predict({"top": 5})
    assert answer["slot"] == log.origin + log.n_slots and len(answer["items"]) == 5
    loaded = load_model(model.save(tmp_path / "m"))
    assert loaded.predict({"top": 5}) == answer


def test_newer_counts_move_the_ranking_and_are_checked(trained):
    model = trained.model
    last = model.origin + model.state.t - 1
    quiet = model.predict({"top": 80})
    bottom = quiet["items"][-1]["item"]
    burst = model.predict({"slots": [{"slot": last + 1, "counts": {str(bottom): 500}}], "top": 3})
    assert burst["slot"] == last + 2 and burst["items"][0]["item"] == bottom  # a burst now puts it first
    new = model.predict({"slots": [{"slot": last + 3, "counts": {"987654": 50}}], "top": 100})
    assert new["candidates"] == quiet["candidates"] + 1 and 987654 in {i["item"] for i in new["items"]}
    with pytest.raises(DataValidationError, match="not after the model's last slot"):
        model.predict({"slots": [{"slot": last, "counts": {"1": 1}}]})
    with pytest.raises(DataValidationError, match="increasing"):
        model.predict({"slots": [{"slot": last + 5, "counts": {}}, {"slot": last + 2, "counts": {}}]})
    assert model.predict({"top": 3}) == model.predict({"top": 3})  # predicting never changes the model


@pytest.mark.parametrize(
    "request_, error, param",
    [
        ({"slots": [{"slot": 5, "counts": {"1": float("nan")}}]}, ConfigError, "slots.0.counts.1"),
        ({"slots": [{"slot": 5, "counts": {"x": 1}}]}, ConfigError, "slots.0.counts.x.[key]"),
        ({"slots": [{"slot": 5, "counts": {"-1": 1}}]}, ConfigError, "slots.0.counts.-1.[key]"),
        ({"slots": [{"slot": 5, "counts": {"1": -2}}]}, ConfigError, "slots.0.counts.1"),
        ({"slots": [{"slot": 5, "counts": {"1": 1e20}}]}, ConfigError, "slots.0.counts.1"),
        ({"slots": [{"slot": True, "counts": {"1": 1}}]}, ConfigError, "slots.0.slot"),
        ({"slots": [{"slot": -4, "counts": {"1": 1}}]}, DataValidationError, "slots.0.slot"),
        ({"slots": [], "top": 0}, ConfigError, "top"),
        ({"slots": [], "extra": 1}, ConfigError, "extra"),
        ({"slots": [{"slot": i, "counts": {}} for i in range(10_001)]}, LimitError, "slots"),
        ([1, 2], DataValidationError, None),
    ],
)
def test_bad_requests_name_the_json_path(request_, error, param):
    with pytest.raises(error) as caught:
        load_model(LEGACY).predict(request_)
    assert caught.value.param == param


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c["features"].update(static_channels=["x"]), "different input features"),
        (lambda c: c["features"].update(half_lives=[1, 2, 3]), "half-lives"),
        (lambda c: c["network"].update(hidden=5), "shape"),
        (lambda c: c["network"].update(cell="transformer"), "setting cell"),
        (lambda c: c.update(next_slot_index=-3), "whole numbers"),
        (lambda c: c.update(next_slot_index=2), "slot indices outside"),
        (lambda c: c.update(slot="fortnightly"), "unknown slot length"),
    ],
)
def test_configs_that_do_not_fit_the_arrays_are_refused(tmp_path, change, message):
    with pytest.raises(ModelLoadError, match=message):
        load_model(edited_copy(tmp_path, CURRENT, config=change))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.update({"state.cum": a["state.cum"][:-1]}), "state.cum|'cum' has shape"),
        (lambda a: a.update({"state.decayed": np.full_like(a["state.decayed"], np.nan)}), "NaN"),
        (lambda a: a.update({"state.recent_count": -a["state.recent_count"] - 1}), "negative"),
        (lambda a: a.update({"state.items": np.zeros_like(a["state.items"])}), "distinct"),
        (lambda a: a.update({"state.last_share": a["state.last_share"] + 2}), "outside 0..1"),
        (lambda a: a.pop("state.rec_slot"), "rec_slot"),
        (lambda a: a.update({"head.0.weight": np.full_like(a["head.0.weight"], np.inf)}), "NaN or infinite"),
        (lambda a: a.pop("wide.bias"), "do not fit"),
    ],
)
def test_state_arrays_that_do_not_fit_are_refused(tmp_path, change, message):
    with pytest.raises(ModelLoadError, match=message):
        load_model(edited_copy(tmp_path, CURRENT, tensors=change))


def test_a_tampered_folder_is_refused(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(CURRENT, folder)
    (folder / "config.json").write_text((folder / "config.json").read_text().replace('"hidden": 4', '"hidden": 5'))
    with pytest.raises(ModelLoadError, match="checksum"):
        load_model(folder)
