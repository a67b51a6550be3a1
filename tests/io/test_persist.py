"""Model folders: round trip, checksums, signatures, symlinks, versions and state checks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from viewcast.errors import ModelLoadError, OutputError
from viewcast.io.persist import (
    FORMAT_VERSION,
    KEY_VARIABLE,
    file_sha256,
    load_saved,
    require_finite,
    require_shape,
    save_model,
)
from viewcast.io.registry import KINDS, load_model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def saved(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    weights = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1.5])}
    save_model(tmp_path / "m", "unit-test", {"vocab": ["a", "b"], "scale": 2.0}, weights, metrics={"rmse": np.float64(0.5)})
    return tmp_path / "m", weights


def _rehash(folder: Path) -> None:
    """What an attacker does after editing a file: recompute the checksums."""
    meta = json.loads((folder / "metadata.json").read_text())
    meta["sha256"] = {name: file_sha256(folder / name) for name in meta["sha256"]}
    (folder / "metadata.json").write_text(json.dumps(meta))


def test_round_trip_keeps_arrays_config_and_metrics(saved):
    folder, weights = saved
    loaded = load_saved(folder, "unit-test")
    assert loaded.config == {"vocab": ["a", "b"], "scale": 2.0}
    np.testing.assert_array_equal(loaded.tensors["w"], weights["w"])
    assert loaded.metadata["format_version"] == FORMAT_VERSION
    assert loaded.metadata["metrics"] == {"rmse": 0.5}
    assert "signature" not in loaded.metadata
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "metadata.json", "weights.safetensors"]


def test_edited_config_is_refused_by_checksum(saved):
    folder, _ = saved
    (folder / "config.json").write_text(json.dumps({"vocab": ["x"], "scale": 2.0}))
    with pytest.raises(ModelLoadError, match="checksum mismatch"):
        load_saved(folder)


def test_signed_folder_loads_and_edited_rehashed_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, "s3cret")
    save_model(tmp_path / "m", "unit-test", {"n": 1}, {"w": np.zeros(2)})
    assert load_saved(tmp_path / "m").metadata["signature"]["algorithm"] == "hmac-sha256"
    (tmp_path / "m" / "config.json").write_text(json.dumps({"n": 2}))
    _rehash(tmp_path / "m")
    with pytest.raises(ModelLoadError, match="signature does not match"):
        load_saved(tmp_path / "m")
    monkeypatch.delenv(KEY_VARIABLE)
    assert load_saved(tmp_path / "m").config == {"n": 2}  # without a key only checksums are checked


def test_with_a_key_unsigned_and_wrongly_signed_folders_are_refused(saved, monkeypatch, tmp_path):
    folder, _ = saved
    monkeypatch.setenv(KEY_VARIABLE, "s3cret")
    with pytest.raises(ModelLoadError, match="not signed"):
        load_saved(folder)
    monkeypatch.setenv(KEY_VARIABLE, "other")
    save_model(tmp_path / "other", "unit-test", {}, {})
    monkeypatch.setenv(KEY_VARIABLE, "s3cret")
    with pytest.raises(ModelLoadError, match="signature does not match"):
        load_saved(tmp_path / "other")


def test_symlinks_are_refused(saved, tmp_path):
    folder, _ = saved
    outside = tmp_path / "outside.safetensors"
    os.replace(folder / "weights.safetensors", outside)
    (folder / "weights.safetensors").symlink_to(outside)
    with pytest.raises(ModelLoadError, match="symbolic link"):
        load_saved(folder)
    (tmp_path / "linked").symlink_to(folder)
    with pytest.raises(ModelLoadError, match="symbolic link"):
        load_saved(tmp_path / "linked")


def test_versions_kinds_and_non_models(saved, tmp_path):
    folder, _ = saved
    with pytest.raises(ModelLoadError, match="expected 'other'"):
        load_saved(folder, "other")
    with pytest.raises(ModelLoadError, match="unknown model kind 'unit-test'"):
        load_model(folder)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["format_version"] = FORMAT_VERSION + 1
    (folder / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="newer than this viewcast"):
        load_saved(folder)
    with pytest.raises(ModelLoadError, match="not found"):
        load_saved(tmp_path / "absent")
    (tmp_path / "pickled").mkdir()
    (tmp_path / "pickled" / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(ModelLoadError, match="not a viewcast model"):
        load_saved(tmp_path / "pickled")


def test_deeply_nested_config_is_a_clear_error(saved):
    folder, _ = saved
    (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    _rehash(folder)
    with pytest.raises(ModelLoadError, match="nested too deeply|expected a JSON object"):
        load_saved(folder)


def test_save_refuses_a_foreign_folder_and_a_file_in_the_way(tmp_path):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not written by viewcast"):
        save_model(tmp_path / "precious", "unit-test", {}, {})
    assert (tmp_path / "precious" / "notes.txt").read_text() == "keep me"
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="afile is a file") as info:
        save_model(tmp_path / "afile" / "m", "unit-test", {}, {}, param="save_model")
    assert info.value.param == "save_model"


def test_state_checks():
    tensors = {"w": np.ones((2, 3)), "bad": np.array([1.0, np.nan])}
    assert require_shape(tensors, "w", (2, None)).shape == (2, 3)
    with pytest.raises(ModelLoadError, match=r"shape \(2, 3\), expected \(3, '\*'\)"):
        require_shape(tensors, "w", (3, None))
    with pytest.raises(ModelLoadError, match="'bad' holds NaN"):
        require_finite(tensors)
    with pytest.raises(ModelLoadError, match="'gone' is missing"):
        require_finite(tensors, ["gone"])


@pytest.mark.parametrize("folder", sorted(p.name for p in FIXTURES.iterdir() if (p / "metadata.json").exists()))
def test_every_fixture_folder_is_a_registered_kind_of_a_readable_version(folder):
    manifest = load_saved(FIXTURES / folder).metadata
    assert manifest["kind"] in KINDS
