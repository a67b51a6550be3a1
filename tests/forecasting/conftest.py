"""Small data and a small saved model shared by the forecasting tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import viewcast
from viewcast.io.persist import KEY_VARIABLE, file_sha256
from viewcast.synth.influencers import write_influencers
from viewcast.synth.series import ets_series, to_long

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _rehash(folder: Path) -> None:
    meta = json.loads((folder / "metadata.json").read_text())
    meta["sha256"] = {name: file_sha256(folder / name) for name in meta["sha256"]}
    (folder / "metadata.json").write_text(json.dumps(meta))


def _edit_config(folder: Path, change) -> None:
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))
    _rehash(folder)


@pytest.fixture
def rehash():
    """``rehash(folder)``: what someone does after editing a model file by hand, recompute the checksums."""
    return _rehash


@pytest.fixture
def edit_config():
    """``edit_config(folder, change)``: apply ``change(config)`` to config.json and rehash the folder."""
    return _edit_config


@pytest.fixture(autouse=True)
def _unsigned_models(monkeypatch):
    """Tests save and load unsigned folders unless they set a key themselves."""
    monkeypatch.delenv(KEY_VARIABLE, raising=False)


@pytest.fixture
def views_csv(tmp_path) -> Path:
    """Two creators x 40 days in the study's messy format."""
    path = tmp_path / "views.csv"
    write_influencers(path, creators=2, days=40, seed=1)
    return path


@pytest.fixture(scope="session")
def saved_creator_model(tmp_path_factory) -> Path:
    """A seasonal-naive per-creator model of ``views_csv``'s data, saved once per session."""
    root = tmp_path_factory.mktemp("saved")
    write_influencers(root / "views.csv", creators=2, days=40, seed=1)
    result = viewcast.forecast(root / "views.csv", horizon=7, model="seasonal_naive", by="creator", progress=False)
    return result.model.save(root / "model")


@pytest.fixture
def model_copy(tmp_path, saved_creator_model) -> Path:
    """A private copy of the saved per-creator model, free to tamper with."""
    return Path(shutil.copytree(saved_creator_model, tmp_path / "model"))


@pytest.fixture(scope="session")
def two_series():
    """Two 120-day ETS(A,N,A) series in the long format."""
    return to_long({"a": ets_series(120, seed=3), "b": ets_series(120, seed=4)})
