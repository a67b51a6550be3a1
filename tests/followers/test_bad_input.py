"""Bad command lines for every followers command: exit 2, one line, no traceback, nothing written.

Each case runs through the ``refused`` fixture (tests/conftest.py), which also checks that
nothing under ``tmp_path`` was created, changed or left half-written.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from viewcast.io.persist import save_model
from viewcast.synth.videos import generate_videos

PLANNED = {
    "length": 30, "views": 3000, "likes": 180, "comments": 6, "shares": 9, "saves": 12,
    "avgWatchTime": 12.5, "watchedFullVideo": 20, "forYouPct": 80, "category": "Tech", "subject": "cloud",
}  # fmt: skip


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> pd.DataFrame:
    return generate_videos(150, seed=4).frame


@pytest.fixture(scope="module")
def good_csv(tmp_path_factory, videos):
    path = tmp_path_factory.mktemp("data") / "videos.csv"
    videos.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, videos):
    from viewcast.followers import FollowersConfig, run

    folder = tmp_path_factory.mktemp("models") / "followers"
    run(videos, FollowersConfig(cv_folds=0, scale="log")).model.save(folder)
    return folder


def _csv(tmp_path, frame: pd.DataFrame, name: str = "bad.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _text(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


# -- fit: output targets are checked before any work ------------------------------------------------


def test_out_under_a_file(refused, good_csv, tmp_path):
    _text(tmp_path, "afile", "x")
    refused("followers", good_csv, "--out", tmp_path / "afile" / "sub", match=r"^error: --out: .*afile is a file")


def test_out_is_an_existing_file(refused, good_csv, tmp_path):
    _text(tmp_path, "report.html", "mine")
    refused("followers", good_csv, "--out", tmp_path / "report.html", match="--out: .*exists and is a file")


def test_out_is_a_foreign_folder(refused, good_csv, tmp_path):
    (tmp_path / "mine").mkdir()
    _text(tmp_path / "mine", "notes.txt", "keep")
    refused("followers", good_csv, "--out", tmp_path / "mine", match="--out: .*not written by viewcast")


def test_save_model_under_a_file(refused, good_csv, tmp_path):
    _text(tmp_path, "afile", "x")
    refused(
        "followers",
        good_csv,
        "--out",
        tmp_path / "out",
        "--save-model",
        tmp_path / "afile" / "m",
        match="--save-model: .*is a file",
    )


def test_save_model_inside_out(refused, good_csv, tmp_path):
    refused(
        "followers",
        good_csv,
        "--out",
        tmp_path / "out",
        "--save-model",
        tmp_path / "out" / "m",
        match="--save-model: .*apart from",
    )


def test_save_model_is_a_foreign_folder(refused, good_csv, tmp_path):
    (tmp_path / "mine").mkdir()
    _text(tmp_path / "mine", "a.txt", "keep")
    refused(
        "followers",
        good_csv,
        "--out",
        tmp_path / "out",
        "--save-model",
        tmp_path / "mine",
        match="--save-model: .*not written by viewcast",
    )


# -- fit: options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["--cv-folds", "10000"], r"--cv-folds: 10000 folds need at least 10000 training rows"),
        (["--cv-folds", "1"], r"--cv-folds: must be 0 \(off\) or at least 2"),
        (["--cv-folds", "-2"], r"--cv-folds: Input should be greater than or equal to 0"),
        (["--cv-folds", "0"], r"--scale: 'auto' is chosen by cross-validation"),
        (["--map", "views"], r"--column-map: 'views': expected OLD=NEW"),
        (["--column-map", "=views"], r"--column-map: '=views': expected OLD=NEW"),
        (["--map", "Video views=views"], r"--column-map: .*no column 'Video views' to rename \(found: 'date', "),
        (["--missing-zero", "views"], r"--missing-zero: 'views': expected COLUMN=STRATEGY"),
        (["--missing-zero", "views=average"], r"--missing-zero: views: 'average' is not one of mean, median, mode, drop, none"),
        (["--missing-zero", "plays=mean"], r"--missing-zero: .*no column 'plays'"),
        (["--missing-zero", "subject=mode"], r"--missing-zero: .*'subject' is not a numeric column"),
        (["--ignore", "newFollowers"], r"--ignore: the target 'newFollowers' cannot be left out"),
        (["--ignore", "nosuch"], r"--ignore: .*no column 'nosuch'"),
        (["--target", "growth"], r"--target: .*no column 'growth'"),
        (["--alpha", "2"], r"--alpha: Input should be less than 0.5"),
        (["--test-size", "1.5"], r"--test-size: Input should be less than 1"),
        (["--scale", "cubic"], r"--scale: Input should be 'auto', 'log' or 'raw'"),
        (["--standard-errors", "hc9"], r"--standard-errors: Input should be 'auto', 'classical' or 'hc3'"),
        (["--p-adjust", "maybe"], r"--p-adjust: Input should be"),
        (["--fit-on", "test"], r"--fit-on: Input should be 'all' or 'train'"),
        (["--alias-vif", "0.5"], r"--alias-vif: Input should be greater than 1"),
        (["--seed", "-1"], r"--seed: Input should be greater than or equal to 0"),
        (["--min-level-count", "-3"], r"--min-level-count: Input should be greater than or equal to 0"),
        (["--seed", "abc"], r"Invalid value for '--seed'"),
        (["--bogus"], r"No such option: --bogus"),
    ],
)
def test_bad_options(refused, good_csv, tmp_path, args, pattern):
    refused("followers", good_csv, "--out", tmp_path / "out", *args, match=pattern)


# -- fit: bad data -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (lambda f: f.drop(columns="newFollowers"), r"--target: .*no column 'newFollowers'"),
        (
            lambda f: f.assign(views=f["views"].astype(str).where(f.index != 4, "n/a")),
            r"row 6, column 'views': 'n/a' is not a number",
        ),
        (
            lambda f: f.assign(views=f["views"].astype(str).where(f.index != 2, "1e300")),
            r"row 4, column 'views': '1e300' is beyond 1e\+15",
        ),
        (lambda f: f.assign(likes=f["likes"].where(f.index != 7, -5)), r"row 9, column 'likes': negative value '-5'"),
        (
            lambda f: f.assign(comments=f["comments"].astype(str).where(f.index != 3, "inf")),
            r"row 5, column 'comments': 'inf' is beyond",
        ),
        (lambda f: f.assign(forYouPct=50), r"column 'forYouPct' is constant \(50 in every row used\); leave it out"),
        (lambda f: f.assign(watchedFullVideo=0), r"column 'watchedFullVideo' has no values"),
        (lambda f: f.assign(subject=f["subject"].where(f.index != 2, " ")), r"row 4, column 'subject': level is missing"),
        (lambda f: f.head(12).drop(columns=["category", "subject"]), r"the model has \d+ terms .* hold only \d+ rows"),
        (lambda f: f.assign(newFollowers=-f["newFollowers"] - 1), r"column 'newFollowers': negative value"),
        (
            lambda f: f.assign(title="video"),
            r"column 'title': 'video' is not a number .*; if it is not a predictor, leave it out with the ignore option",
        ),
    ],
    ids=[
        "no-target",
        "text",
        "1e300",
        "negative",
        "inf",
        "constant",
        "all-missing",
        "blank-level",
        "few-rows",
        "negative-target",
        "text-column",
    ],
)
def test_bad_tables(refused, videos, tmp_path, edit, pattern):
    path = _csv(tmp_path, edit(videos.copy()))
    refused("followers", path, "--out", tmp_path / "out", match=pattern)


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("empty.csv", "", r"file is empty"),
        ("header.csv", "date,length,views,newFollowers\n", r"has a header but no data rows"),
        ("array.csv", '[{"views": 1}]', r"holds a JSON array, not CSV"),
        ("semicolon.csv", "date;length;views\n2021-01-01;30;100\n", r"separated by semicolons"),
        (
            "latin1.csv",
            "date,length,views,category\n2021-01-01,30,100,Caf\xe9\n".encode("latin-1"),
            r"row 2, column 'category': byte 0xe9 is not UTF-8",
        ),
        ("duplicated.csv", "date,views,Views,newFollowers\n2021-01-01,1,2,3\n", r"columns 2 and 3 are both named 'Views'"),
        ("sheet.xlsx", "date,views\n2021-01-01,1\n", r"cannot be read as an Excel workbook"),
        ("notes.docx", "hello", r"unsupported file type '.docx'"),
        ("nested.jsonl", '{"views": {"a": 1}}\n', r"nested JSON values are not table cells"),
    ],
)
def test_unreadable_files(refused, tmp_path, name, content, pattern):
    path = _text(tmp_path, name, content)
    refused("followers", path, "--out", tmp_path / "out", match=pattern)


def test_missing_file_and_folder_as_data(refused, tmp_path):
    refused("followers", tmp_path / "nope.csv", "--out", tmp_path / "out", match="nope.csv: per-video file not found")
    (tmp_path / "adir").mkdir()
    refused("followers", "fit", tmp_path / "adir", "--out", tmp_path / "out", match="is a folder, expected a per-video file")


# -- predict -----------------------------------------------------------------------------------------


def _predict(refused, model, *args, match):
    return refused("followers", "predict", model, *args, match=match)


@pytest.mark.parametrize(
    ("payload", "pattern"),
    [
        ("{views: 1}", r"--json: not valid JSON \(Expecting property name"),
        ("[" * 5000 + "]" * 5000, r"--json: JSON nested too deeply|field|expected"),
        (json.dumps({**PLANNED, "views": 10**400}), r"planned video 1, field 'views': Input should be a valid number"),
        (json.dumps(PLANNED).replace("3000", "NaN"), r"--json: NaN is not a JSON number"),
        (json.dumps({k: v for k, v in PLANNED.items() if k != "length"}), r"planned video 1: field 'length' is missing"),
        (
            json.dumps({**PLANNED, "subject": "gaming"}),
            r"field 'subject': unknown level 'gaming'; the model knows 'career advice'",
        ),
        (json.dumps({**PLANNED, "length": -5}), r"field 'length': Input should be greater than or equal to 0"),
        (json.dumps({**PLANNED, "views": "many"}), r"field 'views': Input should be a valid number"),
        (json.dumps({**PLANNED, "length": True}), r"field 'length': Input should be a valid number"),
        (json.dumps({**PLANNED, "views": 1e16}), r"field 'views': Input should be less than or equal to 1000000000000000"),
        ("42", r"expected a planned video \(an object of fields\) or a list of them, got int"),
        ("[]", r"no planned videos given"),
        (json.dumps([PLANNED, 3]), r"planned video 2: expected an object of fields, got int"),
        (json.dumps({**PLANNED, "category": ""}), r"field 'category': String should have at least 1 character"),
    ],
    ids=[
        "invalid",
        "deep",
        "400-digits",
        "nan",
        "missing-field",
        "unknown-level",
        "negative-length",
        "text-number",
        "bool",
        "too-large",
        "not-object",
        "empty-list",
        "list-item",
        "blank-level",
    ],  # fmt: skip
)
def test_bad_json(refused, model_dir, payload, pattern):
    _predict(refused, model_dir, "--json", payload, match=pattern)


def test_tampered_model_folder(refused, model_dir, tmp_path):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    config = json.loads((copy / "config.json").read_text())
    config["terms"] = config["terms"][:-1]
    (copy / "config.json").write_text(json.dumps(config))
    _predict(refused, copy, "--json", json.dumps(PLANNED), match="checksum mismatch")


def test_model_of_another_kind(refused, tmp_path):
    save_model(tmp_path / "claims", "claims-linear", {"vocabulary": []}, {})
    _predict(
        refused, tmp_path / "claims", "--json", json.dumps(PLANNED), match="holds a 'claims-linear' model, expected 'followers'"
    )


def test_not_a_model_folder(refused, tmp_path):
    (tmp_path / "plain").mkdir()
    _text(tmp_path / "plain", "readme.txt", "hello")
    _predict(refused, tmp_path / "plain", "--json", json.dumps(PLANNED), match="no metadata.json; not a viewcast model folder")
    _predict(refused, tmp_path / "nothing", "--json", json.dumps(PLANNED), match="model folder not found")


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        ([], r"give one planned video with --json or a table of them with --input"),
        (["--json", "{}", "--input", "planned.csv", "--output", "a.csv"], r"give one planned video"),
        (["--input", "planned.csv"], r"--output: --input needs --output"),
        (["--json", "{}", "--output", "a.csv"], r"--output: --output goes with --input"),
        (["--input", "planned.csv", "--output", "answers.txt"], r"--output: .*must end in .csv or .jsonl"),
        (["--input", "planned.csv", "--output", "afile/answers.csv"], r"--output: .*afile is a file"),
        (["--input", "planned.csv", "--output", "adir"], r"--output: .*is a folder, expected a file name"),
        (["--input", "planned.csv", "--output", "planned.csv"], r"--output: .*is the input table"),
        (["--input", "nope.csv", "--output", "a.csv"], r"nope.csv: planned-video file not found"),
        (["--input", "missing.csv", "--output", "a.csv"], r"missing.csv: missing column 'shares'"),
        (["--input", "level.csv", "--output", "a.csv"], r"level.csv, row 3, column 'subject': unknown level 'gaming'"),
        (["--input", "negative.csv", "--output", "a.csv"], r"negative.csv, row 2, column 'length': negative value"),
    ],
    ids=[
        "neither",
        "both",
        "no-output",
        "no-input",
        "suffix",
        "under-file",
        "folder",
        "same-file",
        "no-file",
        "no-column",
        "unknown-level",
        "negative",
    ],  # fmt: skip
)
def test_bad_input_output(refused, model_dir, tmp_path, args, pattern):
    planned = pd.DataFrame([PLANNED, PLANNED])
    planned.to_csv(tmp_path / "planned.csv", index=False)
    planned.drop(columns="shares").to_csv(tmp_path / "missing.csv", index=False)
    planned.assign(subject=["cloud", "gaming"]).to_csv(tmp_path / "level.csv", index=False)
    planned.assign(length=[-1, 30]).to_csv(tmp_path / "negative.csv", index=False)
    _text(tmp_path, "afile", "x")
    (tmp_path / "adir").mkdir()
    located = [str(tmp_path / a) if a.endswith((".csv", ".txt")) or a.startswith(("afile", "adir")) else a for a in args]
    _predict(refused, model_dir, *located, match=pattern)


# -- data synth videos -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["--rows", "10"], r"--rows: must be between 30 and 10,000,000"),
        (["--rows", "-5"], r"--rows: must be between 30"),
        (["--rows", "abc"], r"Invalid value for '--rows'"),
        (["--seed", "-1"], r"--seed: must be 0 or more"),
        (["--effects", "cubic"], r"--effects: 'cubic' is not one of log, study"),
        (["--play-time", "half"], r"--play-time: 'half' is not one of product, copy"),
    ],
)
def test_bad_synth_options(refused, tmp_path, args, pattern):
    refused("data", "synth", "videos", "--out", tmp_path / "v.csv", *args, match=pattern)


def test_bad_synth_targets(refused, tmp_path):
    _text(tmp_path, "afile", "x")
    (tmp_path / "adir").mkdir()
    refused("data", "synth", "videos", "--out", tmp_path / "afile" / "v.csv", match="--out: .*afile is a file")
    refused("data", "synth", "videos", "--out", tmp_path / "adir", match="--out: .*is a folder")
    refused("data", "synth", "videos", "--out", tmp_path / "v.json", match=r"--out: .*must end in .csv")
