"""Bad command lines for every claims command and ``data synth claims``: exit 2, one line, nothing written.

Each case builds its command line (creating any bad input file first) and hands it to the
``refused`` fixture, which also checks that nothing under ``tmp_path`` was created or changed.
Model folders live outside ``tmp_path`` (built once per module); ``VIEWCAST_MODEL_KEY`` is unset,
so an edited and re-hashed folder passes its checksums and only the model's state checks can
refuse it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from viewcast.claims.config import ClaimsConfig
from viewcast.claims.pipeline import run
from viewcast.io.persist import KEY_VARIABLE, file_sha256
from viewcast.synth.claims import generate_claims, write_claims

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
VIDEO = {
    "video_transcription_text": "according to a study coffee drinkers live longer",
    "verified_status": "not verified",
    "author_ban_status": "active",
    "video_view_count": 150,
    "video_like_count": 4,
    "video_share_count": 0,
    "video_download_count": 0,
    "video_comment_count": 0,
}


@pytest.fixture(autouse=True)
def _no_signing_key(monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)


def _rehash(folder: Path) -> None:
    meta = json.loads((folder / "metadata.json").read_text())
    meta["sha256"] = {name: file_sha256(folder / name) for name in meta["sha256"]}
    (folder / "metadata.json").write_text(json.dumps(meta))


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> SimpleNamespace:
    """A table, a trained model and broken copies of it, outside every test's ``tmp_path``."""
    root = tmp_path_factory.mktemp("claims-assets")
    os.environ.pop(KEY_VARIABLE, None)
    write_claims(root / "videos.csv", n=200, seed=5)
    model = run(root / "videos.csv", ClaimsConfig()).model.save(root / "model")

    def copy(name: str) -> Path:
        return Path(shutil.copytree(model, root / name))

    nan_model = copy("nan-model")
    tensors = load_file(str(nan_model / "weights.safetensors"))
    tensors["coef"][3] = np.nan
    save_file(tensors, str(nan_model / "weights.safetensors"))
    _rehash(nan_model)

    linked = copy("linked-model")
    (linked / "weights.safetensors").unlink()
    (linked / "weights.safetensors").symlink_to(model / "weights.safetensors")  # same bytes: checksums pass

    tampered = copy("tampered-model")
    config = json.loads((tampered / "config.json").read_text())
    config["vocabulary"][0] = "evil"
    (tampered / "config.json").write_text(json.dumps(config))

    future = copy("future-model")
    meta = json.loads((future / "metadata.json").read_text())
    meta["format_version"] = 99
    (future / "metadata.json").write_text(json.dumps(meta))

    corrupt = copy("corrupt-metadata")
    (corrupt / "metadata.json").write_text("{")

    truncated = copy("truncated-model")
    weights = truncated / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-16])

    not_a_model = root / "pickles"
    not_a_model.mkdir()
    (not_a_model / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    (root / "model-file").write_text("not a folder")
    return SimpleNamespace(
        videos=root / "videos.csv",
        model=model,
        nan_model=nan_model,
        linked=linked,
        tampered=tampered,
        future=future,
        corrupt=corrupt,
        truncated=truncated,
        not_a_model=not_a_model,
        model_file=root / "model-file",
        other_kind=FIXTURES / "forecast_ets_model",
    )


# -- helpers that make bad targets and bad files inside the test's tmp_path --------------------


def _file(t: Path, name: str = "afile", content: str | bytes = "keep me") -> Path:
    path = t / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _foreign(t: Path) -> Path:
    folder = t / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my own notes")
    return folder


def _table(t: Path, edit, name: str = "bad.csv", rows: int = 40) -> Path:
    frame = generate_claims(rows, seed=1).astype(object)
    frame = edit(frame) if edit is not None else frame
    path = t / name
    frame.to_csv(path, index=False)
    return path


def _set(row: int, column: str, value):
    def edit(frame):
        frame.loc[row, column] = value
        return frame

    return edit


def _json(**changes) -> str:
    return json.dumps({**VIDEO, **changes})


def _without(field: str) -> str:
    return json.dumps({k: v for k, v in VIDEO.items() if k != field})


def _csv_lines(*rows) -> str:
    """The claims header and the given rows as CSV text."""
    return "\n".join(",".join(map(str, row)) for row in (VIDEO, *rows)) + "\n"


def _predict_json(text: str):
    return lambda a, t: ["claims", "predict", a.model, "--json", text]


def _predict_input(make):
    return lambda a, t: ["claims", "predict", a.model, "--input", make(t), "--output", t / "out.csv"]


def _predict_model(name: str):
    return lambda a, t: ["claims", "predict", getattr(a, name), "--json", json.dumps(VIDEO)]


CASES = [
    # -- claims eda ------------------------------------------------------------------------------
    ("eda out under a file", lambda a, t: ["claims", "eda", a.videos, "--out", _file(t) / "sub"], "afile is a file"),
    ("eda out is a file", lambda a, t: ["claims", "eda", a.videos, "--out", _file(t)], "exists and is a file"),
    ("eda out foreign folder", lambda a, t: ["claims", "eda", a.videos, "--out", _foreign(t)], "not written by viewcast"),
    ("eda out empty name", lambda a, t: ["claims", "eda", a.videos, "--out", ""], "--out: no output folder given"),
    ("eda out symlink", lambda a, t: ["claims", "eda", a.videos, "--out", _link(t)], "symbolic link"),
    ("eda no out", lambda a, t: ["claims", "eda", a.videos], "Missing option '--out'"),
    ("eda data missing", lambda a, t: ["claims", "eda", t / "nope.csv", "--out", t / "o"], "file not found"),
    ("eda data is a folder", lambda a, t: ["claims", "eda", t, "--out", t / "o"], "is a folder, expected"),
    (
        "eda no label column",
        lambda a, t: ["claims", "eda", _table(t, lambda f: f.drop(columns=["claim_status"])), "--out", t / "o"],
        "missing column 'claim_status'",
    ),
    (
        "eda unknown label",
        lambda a, t: ["claims", "eda", _table(t, _set(3, "claim_status", "rumour")), "--out", t / "o"],
        "row 5.*'rumour' is not one of",
    ),
    (
        "eda one class",
        lambda a, t: ["claims", "eda", _table(t, lambda f: f.assign(claim_status="claim")), "--out", t / "o"],
        "only one class",
    ),
    # -- claims train ----------------------------------------------------------------------------
    ("train out under a file", lambda a, t: ["claims", "train", a.videos, "--out", _file(t) / "m"], "afile is a file"),
    ("train out is a file", lambda a, t: ["claims", "train", a.videos, "--out", _file(t)], "exists and is a file"),
    ("train out foreign folder", lambda a, t: ["claims", "train", a.videos, "--out", _foreign(t)], "not written by viewcast"),
    (
        "train model nosuch",
        lambda a, t: ["claims", "train", a.videos, "--out", t / "m", "--model", "nosuch"],
        "--model: Input should be 'default'",
    ),
    (
        "train cv 1",
        lambda a, t: ["claims", "train", a.videos, "--out", t / "m", "--cv", "1"],
        "--cv: .*greater than or equal to 2",
    ),
    (
        "train cv 100000",
        lambda a, t: ["claims", "train", a.videos, "--out", t / "m", "--cv", "100000"],
        "--cv: .*less than or equal to 100",
    ),
    (
        "train cv not a number",
        lambda a, t: ["claims", "train", a.videos, "--out", t / "m", "--cv", "five"],
        "Invalid value for '--cv'",
    ),
    (
        "train cv beyond the smaller class",
        lambda a, t: ["claims", "train", _table(t, None, rows=30), "--out", t / "m", "--cv", "20"],
        "--cv: 20 folds, but the smaller class has only 15 rows",
    ),
    (
        "train epochs 0",
        lambda a, t: ["claims", "train", a.videos, "--out", t / "m", "--epochs", "0"],
        "--epochs: .*greater than or equal to 1",
    ),
    (
        "train epochs huge",
        lambda a, t: ["claims", "train", a.videos, "--out", t / "m", "--epochs", "10000000"],
        "--epochs: .*less than or equal to 1000",
    ),
    (
        "train seed negative",
        lambda a, t: ["claims", "train", a.videos, "--out", t / "m", "--seed", "-1"],
        "--seed: .*greater than or equal to 0",
    ),
    (
        "train encoder without encoder model",
        lambda a, t: ["claims", "train", a.videos, "--out", t / "m", "--encoder", t],
        "--encoder: .*only used with model='encoder'",
    ),
    (
        "train encoder folder missing",
        lambda a, t: ["claims", "train", a.videos, "--out", t / "m", "--model", "encoder", "--encoder", t / "nope"],
        "--encoder: .*not a folder",
    ),
    (
        "train negative count",
        lambda a, t: ["claims", "train", _table(t, _set(4, "video_like_count", -5)), "--out", t / "m"],
        "row 6, column 'video_like_count': negative",
    ),
    (
        "train text count",
        lambda a, t: ["claims", "train", _table(t, _set(2, "video_view_count", "lots")), "--out", t / "m"],
        "row 4, column 'video_view_count': 'lots' is not a number",
    ),
    (
        "train 400-digit count",
        lambda a, t: ["claims", "train", _table(t, _set(2, "video_view_count", "9" * 400)), "--out", t / "m"],
        r"row 4, column 'video_view_count': .*beyond 1e\+15",
    ),
    (
        "train nan count",
        lambda a, t: ["claims", "train", _table(t, _set(2, "video_share_count", "NaN")), "--out", t / "m"],
        "row 4, column 'video_share_count'",
    ),
    (
        "train too few rows",
        lambda a, t: ["claims", "train", _table(t, lambda f: f.iloc[[0, 1, 2, 3, 4, 35, 36, 37, 38]]), "--out", t / "m"],
        "need at least 10 labelled rows",
    ),
    # -- claims evaluate -------------------------------------------------------------------------
    (
        "evaluate out under a file",
        lambda a, t: ["claims", "evaluate", a.model, a.videos, "--out", _file(t) / "e"],
        "afile is a file",
    ),
    ("evaluate out is a file", lambda a, t: ["claims", "evaluate", a.model, a.videos, "--out", _file(t)], "exists and is a file"),
    (
        "evaluate out foreign folder",
        lambda a, t: ["claims", "evaluate", a.model, a.videos, "--out", _foreign(t)],
        "not written by viewcast",
    ),
    (
        "evaluate seed negative",
        lambda a, t: ["claims", "evaluate", a.model, a.videos, "--out", t / "e", "--seed", "-5"],
        "--seed: .*greater than or equal to 0",
    ),
    (
        "evaluate model missing",
        lambda a, t: ["claims", "evaluate", t / "nope", a.videos, "--out", t / "e"],
        "model folder not found",
    ),
    ("evaluate not a model", lambda a, t: ["claims", "evaluate", a.not_a_model, a.videos, "--out", t / "e"], "no metadata.json"),
    (
        "evaluate other kind",
        lambda a, t: ["claims", "evaluate", a.other_kind, a.videos, "--out", t / "e"],
        "holds a 'forecast' model, expected 'claims-linear'",
    ),
    (
        "evaluate nan weights",
        lambda a, t: ["claims", "evaluate", a.nan_model, a.videos, "--out", t / "e"],
        "'coef' holds NaN or infinite values",
    ),
    (
        "evaluate unlabelled data",
        lambda a, t: ["claims", "evaluate", a.model, _table(t, lambda f: f.drop(columns=["claim_status"])), "--out", t / "e"],
        "missing column 'claim_status'",
    ),
    # -- claims predict --json -------------------------------------------------------------------
    (
        "json 400-digit count",
        _predict_json(_json(video_view_count=10**400)),
        r"--json: field 'video_view_count': a 401-digit number is beyond 1e\+15",
    ),
    ("json nested brackets", _predict_json("[" * 5000 + "]" * 5000), "--json: JSON nested too deeply"),
    (
        "json NaN",
        _predict_json(_json().replace('"video_view_count": 150', '"video_view_count": NaN')),
        "--json: not valid JSON \\(NaN is not a JSON number\\)",
    ),
    ("json Infinity", _predict_json(_json().replace("150", "Infinity")), "Infinity is not a JSON number"),
    ("json 1e999", _predict_json(_json().replace("150", "1e999")), "field 'video_view_count': Input should be a finite number"),
    (
        "json string count",
        _predict_json(_json(video_like_count="lots")),
        "field 'video_like_count': Input should be a valid number",
    ),
    (
        "json numeric string count",
        _predict_json(_json(video_like_count="12")),
        "field 'video_like_count': Input should be a valid number",
    ),
    (
        "json boolean count",
        _predict_json(_json(video_share_count=True)),
        "field 'video_share_count': Input should be a valid number",
    ),
    (
        "json negative count",
        _predict_json(_json(video_view_count=-1)),
        "field 'video_view_count': Input should be greater than or equal to 0",
    ),
    (
        "json count beyond max",
        _predict_json(_json(video_view_count=1e16)),
        "field 'video_view_count': Input should be less than or equal to",
    ),
    (
        "json missing transcript",
        _predict_json(_without("video_transcription_text")),
        "--json: missing field 'video_transcription_text'",
    ),
    (
        "json transcript not text",
        _predict_json(_json(video_transcription_text=["a"])),
        "field 'video_transcription_text': Input should be a valid string",
    ),
    ("json transcript too long", _predict_json(_json(video_transcription_text="x" * 60_000)), "at most 50000 characters"),
    ("json list of numbers", _predict_json("[1, 2]"), "--json: record 1: expected a JSON object"),
    (
        "json list with a bad record",
        _predict_json(json.dumps([VIDEO, {**VIDEO, "video_view_count": -2}])),
        "record 2, field 'video_view_count'",
    ),
    ("json empty list", _predict_json("[]"), "--json: the batch has no records"),
    ("json a string", _predict_json('"a video"'), "expected one video .* got str"),
    ("json unknown field", _predict_json(_json(views=3)), "field 'views': unknown field"),
    ("json empty object", _predict_json("{}"), "--json: missing fields 'video_transcription_text', 'verified_status'"),
    ("json not json", _predict_json("{video: 1}"), "--json: not valid JSON"),
    (
        "json and input",
        lambda a, t: ["claims", "predict", a.model, "--json", _json(), "--input", a.videos],
        "give exactly one of --json or --input",
    ),
    ("neither json nor input", lambda a, t: ["claims", "predict", a.model], "give exactly one of --json or --input"),
    (
        "json with output",
        lambda a, t: ["claims", "predict", a.model, "--json", _json(), "--output", t / "o.csv"],
        "--input and --output go together",
    ),
    (
        "input without output",
        lambda a, t: ["claims", "predict", a.model, "--input", a.videos],
        "--input and --output go together",
    ),
    # -- claims predict --input ------------------------------------------------------------------
    ("input json array in csv", _predict_input(lambda t: _file(t, "v.csv", json.dumps([VIDEO]))), "holds a JSON array, not CSV"),
    (
        "input latin-1",
        _predict_input(lambda t: _file(t, "v.csv", ",".join(VIDEO).encode() + b"\ncaf\xe9 " + b",x" * 7 + b"\n")),
        "byte 0xe9 is not UTF-8 .*Latin-1",
    ),
    (
        "input semicolons",
        _predict_input(lambda t: _file(t, "v.csv", ";".join(VIDEO) + "\n" + ";".join(map(str, VIDEO.values())) + "\n")),
        "separated by semicolons",
    ),
    (
        "input ragged rows",
        _predict_input(lambda t: _file(t, "v.csv", _csv_lines(VIDEO.values(), [*VIDEO.values(), 1, 2]))),
        "row 3 has 10 fields but the header has 8",
    ),
    (
        "input missing columns",
        _predict_input(lambda t: _table(t, lambda f: f.drop(columns=["video_share_count", "verified_status"]))),
        "missing columns 'verified_status', 'video_share_count'",
    ),
    ("input unknown suffix", _predict_input(lambda t: _file(t, "v.docx", "x")), "unsupported file type '.docx'"),
    ("input empty", _predict_input(lambda t: _file(t, "v.csv", "")), "file is empty"),
    ("input header only", _predict_input(lambda t: _file(t, "v.csv", ",".join(VIDEO) + "\n")), "has a header but no data rows"),
    ("input binary", _predict_input(lambda t: _file(t, "v.csv", b"PK\x03\x04\x00\x00binary")), "is a binary file"),
    ("input missing", _predict_input(lambda t: t / "nope.csv"), "file not found"),
    ("input jsonl not objects", _predict_input(lambda t: _file(t, "v.jsonl", "[1, 2]\n")), "line 1: expected a JSON object"),
    (
        "input negative count",
        _predict_input(lambda t: _table(t, _set(7, "video_comment_count", -1))),
        "row 9, column 'video_comment_count': negative",
    ),
    (
        "input huge text",
        _predict_input(lambda t: _table(t, _set(1, "video_transcription_text", "y" * 60_000))),
        "row 3, column 'video_transcription_text': text of 60,000 characters",
    ),
    # -- claims predict --output -----------------------------------------------------------------
    (
        "output under a file",
        lambda a, t: ["claims", "predict", a.model, "--input", a.videos, "--output", _file(t) / "p.csv"],
        "afile is a file",
    ),
    (
        "output is a folder",
        lambda a, t: ["claims", "predict", a.model, "--input", a.videos, "--output", _foreign(t)],
        "is a folder, expected a file name",
    ),
    (
        "output bad suffix",
        lambda a, t: ["claims", "predict", a.model, "--input", a.videos, "--output", t / "p.txt"],
        "--output: .* must end in .csv or .jsonl",
    ),
    (
        "output empty name",
        lambda a, t: ["claims", "predict", a.model, "--input", a.videos, "--output", ""],
        "--output: .*not a file name",
    ),
    # -- the model folder ------------------------------------------------------------------------
    ("model nan weights", _predict_model("nan_model"), "model state does not fit: array 'coef' holds NaN or infinite values"),
    ("model weights symlink", _predict_model("linked"), "symbolic link"),
    ("model other kind", _predict_model("other_kind"), "holds a 'forecast' model, expected"),
    ("model not a model", _predict_model("not_a_model"), "no metadata.json; not a viewcast model folder"),
    ("model tampered config", _predict_model("tampered"), "config.json: checksum mismatch"),
    ("model truncated weights", _predict_model("truncated"), "weights.safetensors: checksum mismatch"),
    ("model from the future", _predict_model("future"), "model format 99 is newer than this viewcast"),
    ("model corrupt metadata", _predict_model("corrupt"), "metadata.json: corrupt JSON"),
    ("model is a file", _predict_model("model_file"), "is a file, not a model folder"),
    ("model missing", lambda a, t: ["claims", "predict", t / "nope", "--json", _json()], "model folder not found"),
    # -- data synth claims -----------------------------------------------------------------------
    (
        "synth rows 0",
        lambda a, t: ["data", "synth", "claims", "--out", t / "s.csv", "--rows", "0"],
        "Invalid value for '--rows': .*greater than or equal to 2",
    ),
    (
        "synth rows -1",
        lambda a, t: ["data", "synth", "claims", "--out", t / "s.csv", "--rows", "-1"],
        "Invalid value for '--rows': .*greater than or equal to 2",
    ),
    (
        "synth rows huge",
        lambda a, t: ["data", "synth", "claims", "--out", t / "s.csv", "--rows", "10000000000"],
        "Invalid value for '--rows': .*less than or equal to 10000000",
    ),
    (
        "synth rows text",
        lambda a, t: ["data", "synth", "claims", "--out", t / "s.csv", "--rows", "many"],
        "Invalid value for '--rows': .*valid integer",
    ),
    (
        "synth seed negative",
        lambda a, t: ["data", "synth", "claims", "--out", t / "s.csv", "--seed", "-3"],
        "Invalid value for '--seed': .*greater than or equal to 0",
    ),
    ("synth out under a file", lambda a, t: ["data", "synth", "claims", "--out", _file(t) / "s.csv"], "afile is a file"),
    ("synth out a folder", lambda a, t: ["data", "synth", "claims", "--out", _foreign(t)], "is a folder, expected a file name"),
    ("synth out bad suffix", lambda a, t: ["data", "synth", "claims", "--out", t / "s.parquet"], "--out: .* must end in .csv"),
    ("synth no out", lambda a, t: ["data", "synth", "claims"], "Missing option '--out'"),
]


def _link(t: Path) -> Path:
    target = t / "real"
    target.mkdir()
    link = t / "link"
    link.symlink_to(target)
    return link


@pytest.mark.parametrize(("build", "match"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_command_lines_are_refused(refused, assets, tmp_path, build, match):
    refused(*build(assets, tmp_path), match=match)


def test_a_ragged_first_row_is_refused(refused, assets, tmp_path):
    bad = _file(tmp_path, "v.csv", _csv_lines([*VIDEO.values(), 1, 2]))
    refused("claims", "predict", assets.model, "--input", bad, "--output", tmp_path / "out.csv", match="fields")
