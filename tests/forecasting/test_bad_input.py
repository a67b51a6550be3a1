"""Bad command lines of ``forecast``, ``demo`` and ``data synth influencers``: each ends with exit
code 2, one ``error:`` line naming the problem, no traceback, and nothing written or changed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from viewcast.io.persist import save_model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STUDY = "Day,TikTokerID,Category,Views\n"


def _rows(days: int = 30, creators: int = 1, views: str = "1000") -> str:
    return "".join(f"{d},{c},DIY,{views}\n" for d in range(1, days + 1) for c in range(1, creators + 1))


class Workspace:
    """Files a bad command line needs, made inside the test's folder before it runs."""

    def __init__(self, root: Path, views_csv: Path, model: Path, rehash, edit_config) -> None:
        self.root, self.data, self.model = root, views_csv, model
        self.rehash, self.edit_config = rehash, edit_config
        self.afile = self.write("afile", "x")

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.root / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path

    def folder(self, name: str, files: dict[str, str] | None = None) -> Path:
        path = self.root / name
        path.mkdir()
        for file, text in (files or {}).items():
            (path / file).write_text(text)
        return path

    def forecast(self, *args: object) -> list[str]:
        return ["forecast", str(self.data), "--out", str(self.root / "out"), *map(str, args)]

    def forecast_file(self, name: str, text: str | bytes, *args: object) -> list[str]:
        return ["forecast", str(self.write(name, text)), "--out", str(self.root / "out"), *map(str, args)]


def _symlinked_weights(ws: Workspace) -> list[str]:
    weights = ws.model / "weights.safetensors"
    outside = shutil.move(weights, ws.root / "elsewhere.safetensors")
    os.symlink(outside, weights)
    return ws.forecast("--by", "creator", "--load-model", ws.model)


def _nan_lstm_scaling(ws: Workspace) -> list[str]:
    folder = Path(shutil.copytree(FIXTURES / "forecast_lstm_model", ws.root / "lstm"))
    tensors = load_file(folder / "weights.safetensors")
    tensors["data_min"] = np.array([np.nan, 1.0])
    save_file(tensors, str(folder / "weights.safetensors"))
    ws.rehash(folder)
    return ws.forecast("--by", "creator", "--load-model", folder)


def _newer_format(ws: Workspace) -> list[str]:
    meta = json.loads((ws.model / "metadata.json").read_text())
    meta["format_version"] = 99
    (ws.model / "metadata.json").write_text(json.dumps(meta))
    return ws.forecast("--by", "creator", "--load-model", ws.model)


def _other_kind(ws: Workspace) -> list[str]:
    save_model(ws.root / "popular", "popularity", {}, {})
    return ws.forecast("--load-model", ws.root / "popular")


def _edited(change):
    def build(ws: Workspace) -> list[str]:
        ws.edit_config(ws.model, change)
        return ws.forecast("--by", "creator", "--load-model", ws.model)

    return build


def _viewcast_out_holding_data(ws: Workspace) -> list[str]:
    out = ws.folder("out", {".viewcast-output.json": "{}"})
    data = shutil.copy(ws.data, out / "views.csv")
    return ["forecast", data, "--out", out]


def _invert_tails(config: dict) -> None:
    config["engine"]["calibration"]["tails"] = [[0.025, 0.05]]


def _lgbm_text(ws: Workspace) -> list[str]:
    folder = Path(shutil.copytree(FIXTURES / "forecast_combination_model", ws.root / "combined"))
    ws.edit_config(folder, lambda c: c["engine"]["global"]["lgbm"].update(model="tree\nnum_leaves=31\n"))
    return ws.forecast("--by", "creator", "--load-model", folder)


def _unequal_weights(ws: Workspace) -> list[str]:
    tensors = load_file(ws.model / "weights.safetensors")
    tensors["weights"] = tensors["weights"] * 2
    save_file(tensors, str(ws.model / "weights.safetensors"))
    ws.rehash(ws.model)
    return ws.forecast("--by", "creator", "--load-model", ws.model)


def _foreign_series_index(ws: Workspace) -> list[str]:
    tensors = load_file(ws.model / "weights.safetensors")
    tensors["calibration.series"] = tensors["calibration.series"] + 5  # rows of series the model does not have
    save_file(tensors, str(ws.model / "weights.safetensors"))
    ws.rehash(ws.model)
    return ws.forecast("--by", "creator", "--load-model", ws.model)


CASES: dict[str, tuple] = {
    # --- output targets, checked before any work ---------------------------------------------
    "out under a file": (lambda ws: ["forecast", ws.data, "--out", ws.afile / "sub"], r"--out: .*afile is a file"),
    "out is a file": (lambda ws: ["forecast", ws.data, "--out", ws.afile], r"--out: .*is a file, not a folder"),
    "out is a foreign folder": (
        lambda ws: ["forecast", ws.data, "--out", ws.folder("mine", {"keep.txt": "keep"})],
        r"--out: .*not written by viewcast",
    ),
    "out is a symlink": (
        lambda ws: ["forecast", ws.data, "--out", os.symlink(ws.folder("real"), ws.root / "link") or ws.root / "link"],
        r"symbolic link",
    ),
    "out is empty text": (lambda ws: ["forecast", ws.data, "--out", ""], r"--out: "),
    "out would replace the data": (_viewcast_out_holding_data, r"--out: .*would replace"),
    "save-model under a file": (lambda ws: ws.forecast("--save-model", ws.afile / "m"), r"--save-model: .*afile is a file"),
    "save-model is a file": (lambda ws: ws.forecast("--save-model", ws.afile), r"--save-model: .*is a file"),
    "save-model is a foreign folder": (
        lambda ws: ws.forecast("--save-model", ws.folder("precious", {"keep.txt": "keep"})),
        r"--save-model: .*not written by viewcast",
    ),
    "save-model inside out": (lambda ws: ws.forecast("--save-model", ws.root / "out" / "m"), r"--save-model: .*contain"),
    "save-model with load-model": (
        lambda ws: ws.forecast("--save-model", ws.root / "m", "--load-model", ws.model),
        r"--save-model and --load-model",
    ),
    "out is the loaded model": (
        lambda ws: ["forecast", ws.data, "--out", ws.model, "--load-model", ws.model],
        r"--out: .*would replace",
    ),
    # --- saved models ------------------------------------------------------------------------
    "load-model missing": (lambda ws: ws.forecast("--load-model", ws.root / "nothing"), r"model folder not found"),
    "load-model is a file": (lambda ws: ws.forecast("--load-model", ws.afile), r"is a file, not a model folder"),
    "load-model is a foreign folder": (
        lambda ws: ws.forecast("--load-model", ws.folder("notmodel", {"a.txt": "x"})),
        r"not a viewcast model folder",
    ),
    "load-model symlinked weights": (_symlinked_weights, r"symbolic link"),
    "load-model tampered config": (
        lambda ws: ws.forecast(
            "--load-model", (ws.model / "config.json").write_text('{"model": "ets"}') and ws.model, "--by", "creator"
        ),
        r"checksum mismatch",
    ),
    "load-model rehashed with a third series": (
        _edited(lambda c: c["series"].append("3")),
        r"array 'weights' has shape \(2, 1\), expected \(3, 1\)",
    ),
    "load-model rehashed with one series": (
        _edited(lambda c: c["series"].pop()),
        r"array 'weights' has shape \(2, 1\), expected \(1, 1\)",
    ),
    "load-model rehashed unknown member": (
        _edited(lambda c: c["engine"].update(members=["prophet"])),
        r"members \['prophet'\] are not models of the pool",
    ),
    "load-model rehashed model name": (
        _edited(lambda c: c.update(model="ets")),
        r"named 'ets' but its members make 'seasonal_naive'",
    ),
    "load-model rehashed bad tails": (_edited(_invert_tails), r"tail anchors"),
    "load-model rehashed weights": (_unequal_weights, r"shares summing to 1"),
    "load-model rehashed series indices": (_foreign_series_index, r"names a series the model does not have"),
    "load-model rehashed LightGBM text": (_lgbm_text, r"LightGBM model does not parse"),
    "load-model rehashed options": (
        _edited(lambda c: c["forecast_config"]["capacity"].update(headroom=-1)),
        r"saved forecast options are invalid",
    ),
    "load-model rehashed NaN scaling": (_nan_lstm_scaling, r"NaN or infinite"),
    "load-model of a newer format": (_newer_format, r"newer than this viewcast"),
    "load-model of another kind": (_other_kind, r"holds a 'popularity' model, expected 'forecast'"),
    "load-model asked by another split": (
        lambda ws: ws.forecast("--by", "total", "--load-model", ws.model),
        r"--by: .*by creator",
    ),
    "load-model other series": (
        lambda ws: ws.forecast_file("other.csv", STUDY + _rows(20, 3), "--by", "creator", "--load-model", ws.model),
        r"fitted to series \['1', '2'\].*'3'",
    ),
    "load-model history too short for its LSTM": (
        lambda ws: ws.forecast_file(
            "short.csv",
            "unique_id,ds,y\n" + "".join(f"{c},2024-03-0{d},1000\n" for c in "ab" for d in range(1, 6)),
            "--by",
            "creator",
            "--load-model",
            FIXTURES / "forecast_lstm_model_v2",
        ),
        r"the lstm model forecasts from the last 10 days of every series; series \['a', 'b'\] have fewer",
    ),
    # --- data --------------------------------------------------------------------------------
    "data missing": (lambda ws: ["forecast", ws.root / "none.csv", "--out", ws.root / "out"], r"views file not found"),
    "data is a folder": (lambda ws: ["forecast", ws.folder("dir"), "--out", ws.root / "out"], r"is a folder"),
    "two Views columns": (
        lambda ws: ws.forecast_file("v.csv", "Day,TikTokerID,Category,Views, Views \n1,1,DIY,5,6\n"),
        r"both named 'Views'",
    ),
    "1e300 views": (lambda ws: ws.forecast_file("v.csv", STUDY + _rows(views="1e300")), r"'1e300' is beyond 1e\+15"),
    "one cell 1e308": (
        lambda ws: ws.forecast_file("v.csv", STUDY + _rows(20) + "21,1,DIY,1e308\n"),
        r"row 22, column 'Views': '1e308' is beyond",
    ),
    "infinite views": (lambda ws: ws.forecast_file("v.csv", STUDY + "1,1,DIY,inf\n"), r"'inf' is beyond"),
    "negative views": (
        lambda ws: ws.forecast_file("v.csv", STUDY + "1,1,DIY,5\n2,1,DIY,-3\n"),
        r"row 3, column 'Views': negative",
    ),
    "NaN views": (lambda ws: ws.forecast_file("v.csv", STUDY + "1,1,DIY,nan\n"), r"'nan' is not a number"),
    "text views": (lambda ws: ws.forecast_file("v.csv", STUDY + "1,1,DIY,lots\n"), r"'lots' is not a number"),
    "missing views": (
        lambda ws: ws.forecast_file("v.csv", STUDY + "1,1,DIY,5\n2,1,DIY,\n"),
        r"row 3, column 'Views': value is missing",
    ),
    "duplicate creator-days": (lambda ws: ws.forecast_file("v.csv", STUDY + "1,1,DIY,5\n1,1,DIY,6\n"), r"rows 2, 3: duplicate"),
    "empty file": (lambda ws: ws.forecast_file("v.csv", ""), r"file is empty"),
    "header only": (lambda ws: ws.forecast_file("v.csv", STUDY), r"no data rows"),
    "JSON array in .csv": (lambda ws: ws.forecast_file("v.csv", '[{"unique_id": "a"}]'), r"holds a JSON array, not CSV"),
    "JSONL with a bad line": (
        lambda ws: ws.forecast_file("v.jsonl", '{"unique_id": "a", "ds": 1, "y": 5}\n{"unique_id": "a", "ds": 2,\n'),
        r"line 2: not valid JSON",
    ),
    "latin-1 bytes": (lambda ws: ws.forecast_file("v.csv", (STUDY + "1,1,Caf\xe9,5\n").encode("latin-1")), r"not UTF-8"),
    "semicolon file": (lambda ws: ws.forecast_file("v.csv", "Day;TikTokerID;Category;Views\n1;1;DIY;5\n"), r"semicolons"),
    "not a workbook .xlsx": (lambda ws: ws.forecast_file("v.xlsx", STUDY + _rows()), r"cannot be read as an Excel workbook"),
    "unknown suffix": (lambda ws: ws.forecast_file("v.dat", STUDY + _rows()), r"unsupported file type '.dat'"),
    "long file missing y": (
        lambda ws: ws.forecast_file("v.csv", "unique_id,ds,views\na,1,5\n"),
        r"missing column 'y'.*the long format needs unique_id, ds, y",
    ),
    "study file missing Views": (
        lambda ws: ws.forecast_file("v.csv", "Day,TikTokerID,Category\n1,1,DIY\n"),
        r"missing column 'Views'",
    ),
    "bad dates": (
        lambda ws: ws.forecast_file("v.csv", "unique_id,ds,y\na,2024-01-01,5\na,2024-13-45,6\n"),
        r"row 3, column 'ds': '2024-13-45' is neither a day number nor a date",
    ),
    "day number beyond any calendar": (
        lambda ws: ws.forecast_file("v.csv", STUDY + "1,1,DIY,5\n1e12,1,DIY,6\n"),
        r"beyond 10,000,000",
    ),
    "a century-long gap": (lambda ws: ws.forecast_file("v.csv", STUDY + "1,1,DIY,5\n100000,1,DIY,6\n"), r"spans 100,000 days"),
    "a series ending millions of days before the other": (
        lambda ws: ws.forecast_file("v.csv", "unique_id,ds,y\na,0,5\nb,-3024735,5\n"),
        r"creator 'b' ends on -3024735, 3,024,735 days before the latest series",
    ),
    "empty creator id": (lambda ws: ws.forecast_file("v.csv", STUDY + "1,,DIY,5\n"), r"creator id is empty"),
    "by category on the long format": (
        lambda ws: ws.forecast_file("v.csv", "unique_id,ds,y\n" + "".join(f"a,{d},5\n" for d in range(40)), "--by", "category"),
        r"--by: .*needs a Category column",
    ),
    "gap with fill-gaps error": (
        lambda ws: ws.forecast_file("v.csv", STUDY + _rows(10) + "12,1,DIY,5\n", "--fill-gaps", "error"),
        r"--fill-gaps: .*no row for day\(s\) 11",
    ),
    "horizon beyond the history": (
        lambda ws: ws.forecast("--horizon", "60"),
        r"--horizon: .*history too short for a 60-day horizon",
    ),
    "history too short for the LSTM": (
        lambda ws: ws.forecast_file("v.csv", STUDY + _rows(12), "--model", "lstm", "--horizon", "7"),
        r"--model: history too short for model lstm",
    ),
    "history too short for any model": (
        lambda ws: ws.forecast_file("v.csv", STUDY + _rows(10), "--horizon", "7"),
        r"history too short: the longest series has 10 days; a forecast needs at least 15",
    ),
    "LightGBM alone on one series": (
        lambda ws: ws.forecast_file("v.csv", STUDY + _rows(300), "--model", "lgbm"),
        r"--model: model lgbm learns across series",
    ),
    "capacity beyond any fleet": (
        lambda ws: ws.forecast_file(
            "v.csv", STUDY + _rows(40, views="1e15"), "--model", "seasonal_naive", "--views-per-server-day", "1"
        ),
        r"--views-per-server-day: the plan would need",
    ),
    # --- options -----------------------------------------------------------------------------
    "horizon 0": (lambda ws: ws.forecast("--horizon", "0"), r"--horizon: .*greater than or equal to 1"),
    "horizon -1": (lambda ws: ws.forecast("--horizon", "-1"), r"--horizon: .*greater than or equal to 1"),
    "horizon 100000": (lambda ws: ws.forecast("--horizon", "100000"), r"--horizon: .*less than or equal to 730"),
    "horizon abc": (lambda ws: ws.forecast("--horizon", "abc"), r"Invalid value for '--horizon'"),
    "cost inf": (lambda ws: ws.forecast("--cost-per-server-day", "inf"), r"--cost-per-server-day: .*finite number"),
    "cost -1": (lambda ws: ws.forecast("--cost-per-server-day", "-1"), r"--cost-per-server-day: .*greater than or equal to 0"),
    "cost nan": (lambda ws: ws.forecast("--cost-per-server-day", "nan"), r"--cost-per-server-day: .*finite number"),
    "peak factor 0.5": (lambda ws: ws.forecast("--peak-factor", "0.5"), r"--peak-factor: .*greater than or equal to 1"),
    "headroom -1": (lambda ws: ws.forecast("--headroom", "-1"), r"--headroom: .*greater than or equal to 0"),
    "views per server-day 0": (lambda ws: ws.forecast("--views-per-server-day", "0"), r"--views-per-server-day: "),
    "by nosuch": (lambda ws: ws.forecast("--by", "nosuch"), r"--by: Input should be 'total', 'category' or 'creator'"),
    "model nosuch": (lambda ws: ws.forecast("--model", "nosuch"), r"--model: Input should be 'auto', 'seasonal_naive'"),
    "model ensemble (gone)": (
        lambda ws: ws.forecast("--model", "ensemble"),
        r"--model: Input should be 'auto', 'seasonal_naive'",
    ),
    "fill-gaps nosuch": (lambda ws: ws.forecast("--fill-gaps", "nosuch"), r"--fill-gaps: Input should be"),
    "holidays nosuch": (lambda ws: ws.forecast("--holidays", "XX"), r"--holidays: .*no holiday calendar for 'XX'"),
    "backtest windows 0": (lambda ws: ws.forecast("--backtest-windows", "0"), r"--backtest-windows: "),
    "threads 0": (lambda ws: ws.forecast("--threads", "0"), r"--threads: "),
    "seed -1": (lambda ws: ws.forecast("--seed", "-1"), r"--seed: "),
    "unknown option": (lambda ws: ws.forecast("--bogus"), r"No such option: --bogus"),
    # --- demo --------------------------------------------------------------------------------
    "demo out under a file": (lambda ws: ["demo", "--out", ws.afile / "sub"], r"--out: .*afile is a file"),
    "demo out is a file": (lambda ws: ["demo", "--out", ws.afile], r"--out: .*is a file, not a folder"),
    "demo out is a foreign folder": (lambda ws: ["demo", "--out", ws.folder("mine", {"a": "b"})], r"not written by viewcast"),
    "demo seed abc": (lambda ws: ["demo", "--out", ws.root / "d", "--seed", "abc"], r"Invalid value for '--seed'"),
    "demo seed -1": (lambda ws: ["demo", "--out", ws.root / "d", "--seed", "-1"], r"--seed: "),
    # --- data synth influencers ----------------------------------------------------------------
    "synth creators 0": (
        lambda ws: ["data", "synth", "influencers", "--creators", "0", "--out", ws.root / "s.csv"],
        r"--creators: ",
    ),
    "synth days 0": (lambda ws: ["data", "synth", "influencers", "--days", "0", "--out", ws.root / "s.csv"], r"--days: "),
    "synth start date notadate": (
        lambda ws: ["data", "synth", "influencers", "--start-date", "notadate", "--out", ws.root / "s.csv"],
        r"--start-date: .*'notadate' is not a date",
    ),
    "synth start date past 2262": (
        lambda ws: ["data", "synth", "influencers", "--start-date", "2262-04-01", "--days", "100", "--out", ws.root / "s.csv"],
        r"leave the dates pandas handles",
    ),
    "synth too many rows": (
        lambda ws: ["data", "synth", "influencers", "--creators", "100000", "--days", "36600", "--out", ws.root / "s.csv"],
        r"more than 10,000,000 rows",
    ),
    "synth seed -1": (lambda ws: ["data", "synth", "influencers", "--seed", "-1", "--out", ws.root / "s.csv"], r"--seed: "),
    "synth out under a file": (
        lambda ws: ["data", "synth", "influencers", "--out", ws.afile / "s.csv"],
        r"--out: .*afile is a file",
    ),
    "synth out is a folder": (lambda ws: ["data", "synth", "influencers", "--out", ws.folder("dir")], r"--out: .*is a folder"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_command_line_is_refused_in_one_line(name, tmp_path, views_csv, model_copy, rehash, edit_config, refused):
    build, match = CASES[name]
    args = build(Workspace(tmp_path, views_csv, model_copy, rehash, edit_config))
    line = refused(*args, match=match)
    assert "Traceback" not in line and len(line) < 600


def test_the_battery_is_large_enough():
    assert len(CASES) >= 55
