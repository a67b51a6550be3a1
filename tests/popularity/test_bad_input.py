"""Bad command lines of every popularity command and ``data synth ratings``: each ends with exit code 2,
one ``error:`` line naming the problem, no traceback, and nothing written or changed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = "userId,movieId,rating,timestamp\n"
MOVIES = "movieId,title,genres\n1,A (2000),Drama\n2,B,Comedy\n"


class Workspace:
    """Files a bad command line needs, made inside the test's folder before it runs."""

    def __init__(self, root: Path, prepared: Path, model: Path) -> None:
        self.root, self.prepared, self.model = root, prepared, model
        self.afile = self.file("afile", "x")

    def file(self, name: str, text: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path

    def movielens(self, ratings: str | None = HEADER + "1,1,4,100\n", movies: str | None = MOVIES) -> Path:
        folder = self.root / "ml"
        folder.mkdir()
        if ratings is not None:
            self.file("ml/ratings.csv", ratings)
        if movies is not None:
            self.file("ml/movies.csv", movies)
        return folder

    def copy(self, source: Path, name: str, change: Callable[[Path], None] | None = None) -> Path:
        target = self.root / name
        shutil.copytree(source, target)
        if change is not None:
            change(target)
        return target

    def sweep(self, text: str, prepared: bool = True) -> Path:
        head = f'prepared = "{self.prepared}"\n' if prepared else ""
        return self.file("sweep.toml", head + text)

    def newer(self, rows: str) -> Path:
        return self.file("newer.csv", HEADER + rows)


@pytest.fixture
def ws(tmp_path, prepared_folder, trained_folder) -> Workspace:
    return Workspace(tmp_path, prepared_folder, trained_folder / "model")


def _prepare(ws: Workspace, *args: str, ratings: str | None = HEADER + "1,1,4,100\n", movies: str | None = MOVIES) -> list:
    return ["popularity", "prepare", "--data", ws.movielens(ratings, movies), "--out", ws.root / "out", *args]


def _train(ws: Workspace, *args: str, prepared: Path | None = None) -> list:
    return ["popularity", "train", "--prepared", prepared or ws.prepared, "--out", ws.root / "out", *args]


def _sweep(ws: Workspace, text: str, *args: str, prepared: bool = True) -> list:
    return ["popularity", "sweep", ws.sweep(text, prepared), "--out", ws.root / "out", *args]


def _predict(ws: Workspace, *args: str, model: Path | None = None) -> list:
    return ["popularity", "predict", "--model", model or ws.model, *args]


def _tamper(folder: Path) -> None:
    config = folder / "config.json"
    config.write_text(config.read_text().replace('"hidden": 6', '"hidden": 7'))


def _drop_meta(folder: Path) -> None:
    (folder / "meta.json").unlink()


def _old_meta(folder: Path) -> None:
    (folder / "meta.json").write_text(json.dumps({"slot": "daily", "ratings": 10}))


CASES: dict[str, tuple[Callable[[Workspace], list], str]] = {
    # prepare: output targets, checked before any work
    "prepare out is a file": (
        lambda ws: ["popularity", "prepare", "--data", ws.movielens(), "--out", ws.afile],
        r"--out: .*is a file",
    ),
    "prepare out under a file": (
        lambda ws: ["popularity", "prepare", "--data", ws.movielens(), "--out", ws.afile / "p"],
        r"is a file, so no folder",
    ),
    "prepare out is someone's folder": (
        lambda ws: ["popularity", "prepare", "--data", ws.movielens(), "--out", ws.file("mine/keep.txt", "x").parent],
        r"not written by viewcast",
    ),
    # prepare: the data folder and its files
    "prepare data folder missing": (
        lambda ws: ["popularity", "prepare", "--data", ws.root / "nope", "--out", ws.root / "o"],
        r"DATA: .*not found",
    ),
    "prepare data is a file": (
        lambda ws: ["popularity", "prepare", "--data", ws.afile, "--out", ws.root / "o"],
        r"data folder is a file",
    ),
    "prepare ratings.csv missing": (lambda ws: _prepare(ws, ratings=None), r"ratings.csv: ratings file not found"),
    "prepare movies.csv missing": (lambda ws: _prepare(ws, movies=None), r"movies.csv: movies file not found"),
    "prepare ratings.csv empty": (lambda ws: _prepare(ws, ratings=""), r"file is empty"),
    "prepare ratings header only": (lambda ws: _prepare(ws, ratings=HEADER), r"has a header but no ratings"),
    "prepare no movieId column": (
        lambda ws: _prepare(ws, ratings="userId,film,rating,timestamp\n1,1,4,5\n"),
        r"missing column 'movieId'",
    ),
    "prepare no timestamp column": (
        lambda ws: _prepare(ws, ratings="userId,movieId,rating\n1,1,4\n"),
        r"missing column 'timestamp'",
    ),
    "prepare semicolons": (lambda ws: _prepare(ws, ratings="userId;movieId;rating;timestamp\n1;1;4;5\n"), r"missing columns"),
    "prepare text timestamp": (
        lambda ws: _prepare(ws, ratings=HEADER + "1,1,4,100\n1,2,3,yesterday\n"),
        r"row 3, column 'timestamp': 'yesterday' is not a number",
    ),
    "prepare text rating": (
        lambda ws: _prepare(ws, ratings=HEADER + "1,1,good,100\n"),
        r"row 2, column 'rating': 'good' is not a number",
    ),
    "prepare negative id": (
        lambda ws: _prepare(ws, ratings=HEADER + "1,1,4,100\n1,-3,4,100\n"),
        r"row 3, column 'movieId': '-3' is negative",
    ),
    "prepare NaN id": (
        lambda ws: _prepare(ws, ratings=HEADER + "1,nan,4,100\n"),
        r"row 2, column 'movieId': 'nan' is not a finite number",
    ),
    "prepare 1e20 id": (
        lambda ws: _prepare(ws, ratings=HEADER + "1,1,4,100\n1,1e20,4,100\n"),
        r"row 3, column 'movieId': '1e20' is beyond",
    ),
    "prepare fractional id": (lambda ws: _prepare(ws, ratings=HEADER + "1,1.5,4,100\n"), r"'1.5' is not a whole number"),
    "prepare inf timestamp": (lambda ws: _prepare(ws, ratings=HEADER + "1,1,4,inf\n"), r"'inf' is not a finite number"),
    "prepare negative timestamp": (lambda ws: _prepare(ws, ratings=HEADER + "1,1,4,-5\n"), r"'-5' is negative"),
    "prepare timestamp after 9999": (lambda ws: _prepare(ws, ratings=HEADER + "1,1,4,1e13\n"), r"after the year 9999"),
    "prepare missing timestamp": (
        lambda ws: _prepare(ws, ratings=HEADER + "1,1,4,5\n1,2,4,\n"),
        r"row 3, column 'timestamp': value is missing",
    ),
    "prepare stray comma": (
        lambda ws: _prepare(ws, ratings=HEADER + "1,1,4,5\n1,2,4,5,6,7\n"),
        r"ratings.csv, row 3: has more fields than the header's 4",
    ),
    "prepare short row": (
        lambda ws: _prepare(ws, ratings=HEADER + "1,1,4,5\n1,2,4\n"),
        r"row 3: has fewer fields than the header's 4",
    ),
    "prepare duplicate movie": (lambda ws: _prepare(ws, movies=MOVIES + "2,C,Drama\n"), r"movieId 2 appears twice"),
    "prepare movies without genres": (lambda ws: _prepare(ws, movies="movieId,title\n1,A\n"), r"missing column 'genres'"),
    "prepare text movie id in catalogue": (
        lambda ws: _prepare(ws, movies=MOVIES + "x,C,Drama\n"),
        r"movies.csv, row 4, column 'movieId'",
    ),
    # prepare: options
    "prepare slot": (lambda ws: _prepare(ws, "--slot", "fortnightly"), r"--slot: "),
    "prepare window 0": (lambda ws: _prepare(ws, "--window", "0"), r"--window: .*greater than or equal to 1"),
    "prepare window 1000": (lambda ws: _prepare(ws, "--window", "1000"), r"--window: .*less than or equal to 100"),
    "prepare window text": (lambda ws: _prepare(ws, "--window", "ten"), r"Invalid value for '--window'"),
    "prepare windows": (lambda ws: _prepare(ws, "--windows", "sideways"), r"--windows: "),
    "prepare memory limit SQL": (lambda ws: _prepare(ws, "--memory-limit", "2GB'; DROP TABLE raw; --"), r"--memory-limit: "),
    "prepare threads 0": (lambda ws: _prepare(ws, "--threads", "0"), r"--threads: "),
    # train: output targets first
    "train out is a file": (
        lambda ws: ["popularity", "train", "--prepared", ws.prepared, "--out", ws.afile],
        r"--out: .*is a file",
    ),
    "train out under a file": (
        lambda ws: ["popularity", "train", "--prepared", ws.prepared, "--out", ws.afile / "t"],
        r"is a file, so no folder",
    ),
    # train: the prepared folder
    "train prepared missing": (lambda ws: _train(ws, prepared=ws.root / "nope"), r"--prepared: .*prepared folder not found"),
    "train prepared is a MovieLens folder": (
        lambda ws: _train(ws, prepared=ws.movielens()),
        r"no meta.json; not a prepared folder",
    ),
    "train prepared without meta": (lambda ws: _train(ws, prepared=ws.copy(ws.prepared, "p", _drop_meta)), r"no meta.json"),
    "train prepared without counts": (
        lambda ws: _train(ws, prepared=ws.copy(ws.prepared, "p", lambda f: (f / "counts.parquet").unlink())),
        r"counts.parquet missing; the folder is incomplete",
    ),
    "train prepared by an old version": (
        lambda ws: _train(ws, prepared=ws.copy(ws.prepared, "p", _old_meta)),
        r"not written by this viewcast",
    ),
    "train prepared with broken parquet": (
        lambda ws: _train(ws, prepared=ws.copy(ws.prepared, "p", lambda f: (f / "counts.parquet").write_text("x"))),
        r"counts.parquet: cannot be read",
    ),
    # train: options
    "train cell": (lambda ws: _train(ws, "--cell", "transformer"), r"--cell: "),
    "train loss": (lambda ws: _train(ws, "--loss", "hinge"), r"--loss: "),
    "train optimizer": (lambda ws: _train(ws, "--optimizer", "adamw"), r"--optimizer: "),
    "train window 0": (lambda ws: _train(ws, "--window", "0"), r"--window: "),
    "train windows": (lambda ws: _train(ws, "--windows", "both"), r"--windows: "),
    "train hidden text": (lambda ws: _train(ws, "--hidden", "many"), r"Invalid value for '--hidden'"),
    "train dropout": (lambda ws: _train(ws, "--dropout", "1.5"), r"--dropout: "),
    "train learning rate": (lambda ws: _train(ws, "--learning-rate", "0"), r"--learning-rate: "),
    "train fractions": (lambda ws: _train(ws, "--val-fraction", "0.7"), r"--val-fraction: "),
    "train seed": (lambda ws: _train(ws, "--seed", "-1"), r"--seed: "),
    "train cache size 0": (lambda ws: _train(ws, "--cache-sizes", "0,0.1"), r"--cache-sizes: .*fractions of the catalogue"),
    "train cache size text": (lambda ws: _train(ws, "--cache-sizes", "0.1,big"), r"--cache-sizes: item 2: "),
    "train policy": (lambda ws: _train(ws, "--policies", "lru,fifo"), r"--policies: item 2: "),
    "train learned window": (lambda ws: _train(ws, "--learned-windows", "0,1.5"), r"--learned-windows: "),
    "train learned beta": (lambda ws: _train(ws, "--learned-betas", "x"), r"--learned-betas: item 1: "),
    "train too few slots": (
        lambda ws: _train(ws, prepared=_prepared_of(ws, HEADER + "1,1,4,10\n1,2,4,86400\n1,1,4,172800\n")),
        r"too few for a train/validation/test split",
    ),
    # sweep
    "sweep file missing": (
        lambda ws: ["popularity", "sweep", ws.root / "nope.toml", "--out", ws.root / "out"],
        r"sweep file not found",
    ),
    "sweep not TOML": (lambda ws: _sweep(ws, "[grid\ncell = "), r"not valid TOML"),
    "sweep unknown key": (lambda ws: _sweep(ws, "[grids]\ncell = ['lstm']\n"), r"grids: unknown option"),
    "sweep unknown setting": (lambda ws: _sweep(ws, "[grid]\ncel = ['lstm']\n"), r"grid.cel: unknown option"),
    "sweep bad grid value": (lambda ws: _sweep(ws, "[grid]\ncell = ['lstm', 'lstn']\n"), r"grid.cell: .*'lstm'"),
    "sweep grid not a list": (lambda ws: _sweep(ws, "[grid]\ncell = 'lstm'\n"), r"grid.cell: .*valid list"),
    "sweep empty grid list": (lambda ws: _sweep(ws, "[grid]\ncell = []\n"), r"empty list"),
    "sweep bad fixed value": (lambda ws: _sweep(ws, "[fixed]\nwindow = 0\n[grid]\ncell = ['lstm']\n"), r"fixed.window: "),
    "sweep fixed and grid": (
        lambda ws: _sweep(ws, "[fixed]\ncell = 'gru'\n[grid]\ncell = ['lstm']\n"),
        r"both \[fixed\] and \[grid\]",
    ),
    "sweep grid too big": (
        lambda ws: _sweep(ws, "[grid]\nseed = " + str(list(range(40))) + "\nhidden = " + str(list(range(1, 40))) + "\n"),
        r"at most 1,000",
    ),
    "sweep no prepared": (
        lambda ws: _sweep(ws, "[grid]\ncell = ['lstm']\n", prepared=False),
        r"--prepared: .*names no 'prepared'",
    ),
    "sweep prepared missing": (
        lambda ws: _sweep(ws, "[grid]\ncell = ['lstm']\n", "--prepared", str(ws.root / "nope"), prepared=False),
        r"prepared folder not found",
    ),
    "sweep out is a file": (
        lambda ws: ["popularity", "sweep", ws.sweep("[grid]\ncell = ['lstm']\n"), "--out", ws.afile],
        r"--out: .*is a file",
    ),
    # predict
    "predict model missing": (lambda ws: _predict(ws, model=ws.root / "nope"), r"model folder not found"),
    "predict model is a prepared folder": (lambda ws: _predict(ws, model=ws.prepared), r"no metadata.json; not a viewcast model"),
    "predict model tampered": (lambda ws: _predict(ws, model=ws.copy(ws.model, "m", _tamper)), r"checksum mismatch"),
    "predict other kind": (
        lambda ws: _predict(ws, model=FIXTURES / "forecast_ets_model"),
        r"holds a 'forecast' model, expected 'popularity'",
    ),
    "predict top 0": (lambda ws: _predict(ws, "--top", "0"), r"--top: "),
    "predict out suffix": (lambda ws: _predict(ws, "--out", ws.root / "answer.txt"), r"--out: .*must end in .json or .csv"),
    "predict out under a file": (
        lambda ws: _predict(ws, "--out", ws.afile / "a.json"),
        r"is a file, so nothing can be written under it",
    ),
    "predict data missing": (lambda ws: _predict(ws, "--data", ws.root / "nope.csv"), r"ratings file not found"),
    "predict data older than the model": (
        lambda ws: _predict(ws, "--data", ws.newer("1,1,4,1300000000\n")),
        r"not after the model's last slot",
    ),
    "predict data 1e20 id": (lambda ws: _predict(ws, "--data", ws.newer("1,1e20,4,1900000000\n")), r"'1e20' is beyond"),
    "predict data for a model without slots": (
        lambda ws: _predict(ws, "--data", ws.newer("1,1,4,1900000000\n"), model=FIXTURES / "popularity_model"),
        r"--data needs a model that knows its slot length",
    ),
    # data synth ratings
    "synth out is a file": (lambda ws: ["data", "synth", "ratings", "--out", ws.afile], r"--out: .*is a file"),
    "synth out under a file": (lambda ws: ["data", "synth", "ratings", "--out", ws.afile / "g"], r"is a file, so no folder"),
    "synth rows 0": (
        lambda ws: ["data", "synth", "ratings", "--rows", "0", "--out", ws.root / "g"],
        r"--rows: must be between 1",
    ),
    "synth movies huge": (
        lambda ws: ["data", "synth", "ratings", "--movies", "100000000", "--out", ws.root / "g"],
        r"--movies: ",
    ),
    "synth rows text": (
        lambda ws: ["data", "synth", "ratings", "--rows", "lots", "--out", ws.root / "g"],
        r"Invalid value for '--rows'",
    ),
    "synth seed": (lambda ws: ["data", "synth", "ratings", "--seed", "-2", "--out", ws.root / "g"], r"--seed: "),
}


def _prepared_of(ws: Workspace, ratings: str) -> Path:
    """A prepared folder of a tiny log, written before the command runs."""
    from viewcast.popularity.config import PrepareConfig
    from viewcast.popularity.data import prepare

    with prepare(ws.movielens(ratings), PrepareConfig(slot="daily")) as prepared:
        return prepared.save(ws.root / "tiny")


def test_there_are_enough_cases():
    assert len(CASES) >= 50


@pytest.mark.parametrize("name", list(CASES))
def test_bad_command_line_is_refused(name, ws, refused):
    build, match = CASES[name]
    refused(*build(ws), match=match)
