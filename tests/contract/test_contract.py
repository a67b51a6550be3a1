"""One suite over every analysis and every registered model kind (scikit-learn's common checks idea).

Each analysis contributes ``tests/contract/case_<analysis>.py`` with

* ``ANALYSIS``: the name of its API function (``viewcast.<ANALYSIS>(data, **options)``);
* ``analysis_case(tmp_path) -> (data, options)``: small inputs that run in a few seconds;
* ``model_cases(tmp_path) -> list[dict]``: per kind it owns, ``{"kind", "model", "request"}``
  (a fitted model and a request its ``predict`` answers with JSON-able data);
* ``FIXTURES``: ``{folder under tests/fixtures: request}`` of models saved by earlier versions.

The suite then checks, the same way for all of them: the result is strict JSON and saves whole
into a fresh folder; a bad output target is refused before any work; a model survives save/load
with identical answers; a tampered, re-hashed, unsigned or wrongly kinded folder is refused; old
fixtures still load and answer.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

import viewcast
from viewcast.errors import ModelLoadError, OutputError
from viewcast.io.jsonable import to_jsonable
from viewcast.io.outputs import MARKER
from viewcast.io.persist import KEY_VARIABLE, file_sha256
from viewcast.io.registry import KINDS, load_model, save

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"


def _load_cases() -> list[Any]:
    modules = []
    for path in sorted(HERE.glob("case_*.py")):
        spec = importlib.util.spec_from_file_location(f"contract_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


CASES = _load_cases()
ANALYSES = {case.ANALYSIS: case for case in CASES}
FIXTURE_REQUESTS = [(folder, case) for case in CASES for folder in getattr(case, "FIXTURES", {})]


def _strict(data: Any) -> Any:
    """Round-trip through strict JSON: fails on NaN, Infinity or anything not JSON."""
    return json.loads(json.dumps(to_jsonable(data), allow_nan=False))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_every_analysis_has_a_case():
    assert set(ANALYSES) == {"forecast", "capacity", "followers", "claims", "popularity"}


@pytest.fixture(scope="module")
def model_cases(tmp_path_factory):
    cases = {}
    for case in CASES:
        for item in case.model_cases(tmp_path_factory.mktemp(case.ANALYSIS)):
            cases[item["kind"]] = item
    return cases


def test_model_cases_cover_every_kind(model_cases):
    optional = {"claims-encoder"}  # needs the optional sentence-transformers extra
    assert set(KINDS) - optional <= set(model_cases)


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_result_is_strict_json_and_saves_whole(name, tmp_path):
    data, options = ANALYSES[name].analysis_case(tmp_path)
    result = getattr(viewcast, name)(data, **options)
    payload = _strict(result.to_dict())
    assert isinstance(payload, dict) and payload
    target = tmp_path / "out"
    result.save(target)
    names = {p.name for p in target.iterdir()}
    assert MARKER in names or "metadata.json" in names
    assert not [p for p in tmp_path.iterdir() if ".viewcast-tmp-" in p.name]
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        result.save(tmp_path / "afile" / "sub")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "mine.txt").write_text("keep")
    with pytest.raises(OutputError, match="not written by viewcast"):
        result.save(tmp_path / "foreign")
    assert (tmp_path / "foreign" / "mine.txt").read_text() == "keep"


@pytest.mark.parametrize("kind", sorted(k for k in KINDS if k != "claims-encoder"))
def test_model_round_trip_gives_identical_answers(kind, model_cases, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    case = model_cases[kind]
    model, request = case["model"], case["request"]
    before = _strict(model.predict(request))
    folder = save(model, tmp_path / "m")
    loaded = load_model(folder)
    assert type(loaded) is type(model) and loaded.KIND == kind
    assert _same(_strict(loaded.predict(request)), before)
    assert _strict(loaded.describe())
    assert viewcast.load_model(folder).KIND == kind


@pytest.mark.parametrize("kind", sorted(k for k in KINDS if k != "claims-encoder"))
def test_tampered_unsigned_and_wrong_kind_folders_are_refused(kind, model_cases, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, "contract-key")
    folder = save(model_cases[kind]["model"], tmp_path / "m")
    load_model(folder)  # signed: loads
    other = next(k for k in KINDS if k != kind)
    with pytest.raises(ModelLoadError, match="expected"):
        load_model(folder, kind=other)
    config = json.loads((folder / "config.json").read_text())
    config["_tampered"] = True
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="checksum"):
        load_model(folder)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["sha256"] = {name: file_sha256(folder / name) for name in meta["sha256"]}
    (folder / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="signature"):
        load_model(folder)
    monkeypatch.setenv(KEY_VARIABLE, "")
    unsigned = save(model_cases[kind]["model"], tmp_path / "unsigned")
    monkeypatch.setenv(KEY_VARIABLE, "contract-key")
    with pytest.raises(ModelLoadError, match="not signed"):
        load_model(unsigned)


@pytest.mark.parametrize("kind", sorted(k for k in KINDS if k != "claims-encoder"))
def test_saving_a_model_checks_its_target_first(kind, model_cases, tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        save(model_cases[kind]["model"], tmp_path / "afile" / "m")


@pytest.mark.parametrize("folder, case", FIXTURE_REQUESTS, ids=[f for f, _ in FIXTURE_REQUESTS])
def test_models_saved_by_earlier_versions_still_load_and_answer(folder, case, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    model = load_model(FIXTURES / folder)
    answer = _strict(model.predict(case.FIXTURES[folder]))
    assert answer
