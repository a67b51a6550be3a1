"""Safe persistence: round trip, checksums, tampering and wrong kinds are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from viewcast.errors import ModelLoadError
from viewcast.persist import load_model, save_model


def test_round_trip_keeps_arrays_and_config(tmp_path):
    weights = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1.5])}
    save_model(tmp_path / "m", "unit-test", {"vocab": ["a", "b"], "scale": 2.0}, weights)
    loaded = load_model(tmp_path / "m", "unit-test")
    assert loaded.config == {"vocab": ["a", "b"], "scale": 2.0}
    np.testing.assert_array_equal(loaded.tensors["w"], weights["w"])
    assert loaded.metadata["format_version"] == 1


def test_tampered_config_is_refused(tmp_path):
    save_model(tmp_path / "m", "unit-test", {"x": 1}, {"w": np.zeros(2)})
    (tmp_path / "m" / "config.json").write_text(json.dumps({"x": 2}))
    with pytest.raises(ModelLoadError, match="checksum"):
        load_model(tmp_path / "m")


def test_wrong_kind_and_missing_dir(tmp_path):
    save_model(tmp_path / "m", "unit-test", {}, {})
    with pytest.raises(ModelLoadError, match="expected 'other'"):
        load_model(tmp_path / "m", "other")
    with pytest.raises(ModelLoadError, match="not found"):
        load_model(tmp_path / "nope")


def test_pickle_file_is_not_a_model(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ModelLoadError, match="not a viewcast model"):
        load_model(tmp_path / "m")


def test_overwrite_refuses_foreign_directory(tmp_path):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep me")
    with pytest.raises(ModelLoadError, match="refusing"):
        save_model(tmp_path / "precious", "unit-test", {}, {})
    assert (tmp_path / "precious" / "notes.txt").read_text() == "keep me"
