"""The saved forecast model: same numbers after save and load, predict on new history, describe,
and a state that is validated before it can forecast."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import viewcast
from viewcast.errors import ConfigError, DataValidationError, ModelLoadError
from viewcast.io.jsonable import dumps
from viewcast.synth.series import ets_series, to_long

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def fitted(two_series):
    return viewcast.forecast(two_series, horizon=14, model="ets", by="creator", progress=False)


@pytest.mark.parametrize("model", ["ets", "lstm"])
def test_save_load_gives_identical_numbers(tmp_path, two_series, model):
    first = viewcast.forecast(two_series, horizon=14, model=model, by="creator", progress=False, lstm={"max_epochs": 3})
    folder = first.model.save(tmp_path / "m")
    loaded = viewcast.load_model(folder)
    answer = loaded.predict(two_series)
    pd.testing.assert_frame_equal(pd.DataFrame(answer["forecast"]), first.forecast)
    assert answer["capacity_plan"] == first.capacity and answer["next_total"] == first.totals
    assert json.loads(dumps(answer))["model"] == model  # strict JSON


def test_predict_accepts_records_and_options(fitted, two_series):
    model = fitted.model
    records = two_series.to_dict("records")
    answer = model.predict({"history": records, "horizon": 5, "capacity": {"views_per_server_day": 100}})
    assert answer["horizon"] == 5 and len(answer["forecast"]) == 10 and len(answer["total"]) == 5
    np.testing.assert_allclose([r["point"] for r in answer["forecast"][:5]], fitted.forecast["point"][:5])
    assert answer["capacity_plan"]["peak_servers"] > fitted.capacity["peak_servers"]  # fewer views per server
    assert answer["forecast"][0]["date"] == "2024-04-30"
    with pytest.raises(ConfigError, match="less than or equal to 730") as caught:
        model.predict({"history": records, "horizon": 1000})
    assert caught.value.param == "horizon"
    with pytest.raises(DataValidationError, match="non-empty list of records") as caught:
        model.predict({"history": "views.csv"})  # never a path: a service must not read its own files
    assert caught.value.param == "history"


def test_predict_continues_new_history_with_the_fitted_parameters(fitted, two_series):
    longer = to_long({"a": ets_series(127, seed=3), "b": ets_series(127, seed=4)})
    answer = fitted.model.predict(longer)
    assert answer["forecast"][0]["date"] == "2024-05-07"  # after the new last day
    assert not np.allclose([r["point"] for r in answer["forecast"][:14]], fitted.forecast["point"][:14])
    with pytest.raises(DataValidationError, match=r"fitted to series \['a', 'b'\].*the data has \['a'\]"):
        fitted.model.predict(two_series[two_series["unique_id"] == "a"])


def test_a_history_too_short_to_forecast_from_is_refused(fitted):
    short = to_long({"a": ets_series(15, seed=3), "b": ets_series(40, seed=4)})
    with pytest.raises(DataValidationError, match=r"ets model forecasts from the last 16 days of every series; series \['a'\]"):
        fitted.model.predict(short)


def test_describe_says_what_and_how_well(fitted):
    described = fitted.model.describe()
    assert described["kind"] == "forecast" and described["model"] == "ets" and described["by"] == "creator"
    assert described["series"] == 2 and described["default_horizon"] == 14
    assert described["backtest"]["mase"] == fitted.backtest["models"]["ets"]["mase"]
    assert json.loads(dumps(described)) == described


def test_saved_manifest_carries_the_backtest_figures(fitted, tmp_path):
    folder = fitted.model.save(tmp_path / "m")
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["kind"] == "forecast" and meta["metrics"]["backtest_mase"] == fitted.backtest["models"]["ets"]["mase"]


def test_edited_and_rehashed_ensemble_is_refused(tmp_path, edit_config):
    folder = shutil.copytree(FIXTURES / "forecast_ensemble_model_v2", tmp_path / "m")
    viewcast.load_model(folder)
    edit_config(folder, lambda c: c["state"]["states"][0]["kinds"].pop())
    with pytest.raises(ModelLoadError, match="2 series but 1 fitted ets models"):
        viewcast.load_model(folder)


def test_edited_axis_is_refused(model_copy, edit_config):
    edit_config(model_copy, lambda c: c["axis"].update(kind="weeks"))
    with pytest.raises(ModelLoadError, match="day axis"):
        viewcast.load_model(model_copy)
