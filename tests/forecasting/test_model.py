"""The saved forecast model: same numbers after save and load, predict on new history (the fitted
members forward, the bands follow the new history's error level), any quantile, describe, and a
state that is validated before it can forecast."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import viewcast
from viewcast.errors import ConfigError, DataValidationError, ModelLoadError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.pipeline import run_saved
from viewcast.io.jsonable import dumps
from viewcast.synth.series import ets_series, to_long

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _panel_frame(days: int, count: int = 3) -> pd.DataFrame:
    return to_long({f"c{i}": ets_series(days, seed=10 + i) for i in range(count)})


@pytest.fixture(scope="module")
def fitted():
    """auto on three 260-day creators: every member of the pool, LightGBM included."""
    return viewcast.forecast(_panel_frame(260), horizon=14, by="creator", progress=False)


def test_auto_combines_the_whole_pool_and_repeats_itself(fitted):
    assert fitted.chosen == "combination" and fitted.model.name == "combination"
    assert fitted.model.engine.members == ("seasonal_naive", "ets", "dot", "mstl", "lgbm")
    again = viewcast.forecast(_panel_frame(260), horizon=14, by="creator", progress=False)
    pd.testing.assert_frame_equal(again.forecast, fitted.forecast)  # seeded and deterministic (the service relies on it)


def test_the_lstm_alone_saves_and_loads(tmp_path):
    frame = _panel_frame(60, count=2)
    first = viewcast.forecast(frame, horizon=7, model="lstm", by="creator", progress=False, lstm={"max_epochs": 2})
    assert first.chosen == "lstm" and first.lstm_table["train"]["windows"] > 0
    loaded = viewcast.load_model(first.model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(pd.DataFrame(loaded.predict(frame)["forecast"]), first.forecast)


def test_save_load_gives_identical_numbers_and_the_cli_path_too(fitted, tmp_path):
    folder = fitted.model.save(tmp_path / "m")
    loaded = viewcast.load_model(folder)
    answer = loaded.predict(_panel_frame(260))
    pd.testing.assert_frame_equal(pd.DataFrame(answer["forecast"]), fitted.forecast)
    pd.testing.assert_frame_equal(pd.DataFrame(answer["total"]), fitted.total)
    assert answer["capacity_plan"] == fitted.capacity and answer["next_total"] == fitted.totals
    again = run_saved(loaded, _panel_frame(260), ForecastConfig.parse(horizon=14, by="creator", progress=False))
    pd.testing.assert_frame_equal(again.forecast, fitted.forecast)  # what `viewcast forecast --load-model` writes
    assert json.loads(dumps(answer))["model"] == "combination"  # strict JSON
    config = json.loads((folder / "config.json").read_text())
    assert config["engine"]["trim"] == 1 and loaded.engine.trim == 1
    assert config["engine"]["global"]["lgbm"]["model"].startswith("tree")  # LightGBM's text model, not a pickle


def test_predict_on_new_history_forwards_the_fitted_members(fitted):
    newer = _panel_frame(281)  # three more weeks of the same creators
    answer = fitted.model.predict({"history": newer, "horizon": 7})
    assert answer["forecast"][0]["date"] == "2024-10-08"  # the day after the new history's last
    fresh = viewcast.forecast(newer, horizon=7, by="creator", progress=False)
    point = np.array([r["point"] for r in answer["forecast"]])
    assert not np.allclose(point, fresh.forecast["point"])  # not refitted: the saved members and weights apply
    assert np.allclose(point, fresh.forecast["point"], rtol=0.15)  # ... but they continue the new days


def test_bands_scale_with_the_new_historys_error_level(fitted):
    base = fitted.model.predict({"history": _panel_frame(260), "horizon": 7})
    tenfold = fitted.model.predict({"history": _panel_frame(260).assign(y=lambda f: f["y"] * 10), "horizon": 7})
    width = np.array([r["hi95"] - r["point"] for r in base["forecast"]])
    wider = np.array([r["hi95"] - r["point"] for r in tenfold["forecast"]])
    np.testing.assert_allclose(wider, 10 * width, rtol=0.2)  # scale-free errors times the new scale


def test_predict_accepts_records_options_and_quantiles(fitted):
    records = _panel_frame(260).to_dict("records")
    answer = fitted.model.predict(
        {"history": records, "horizon": 5, "capacity": {"views_per_server_day": 100}, "quantiles": [0.99, 0.5]}
    )
    assert answer["horizon"] == 5 and len(answer["forecast"]) == 15 and len(answer["total"]) == 5
    assert answer["capacity_plan"]["peak_servers"] > fitted.capacity["peak_servers"]  # fewer views per server
    q99, q50 = answer["total_quantiles"]
    assert q99["q"] == 0.99 and all(d["bound"] >= t["hi95"] for d, t in zip(q99["daily"], answer["total"]))
    assert all(d["bound"] >= d["point"] for d in q50["daily"])
    with pytest.raises(ConfigError, match="strictly between 0 and 1") as caught:
        fitted.model.predict({"history": records, "quantiles": [1.5]})
    assert caught.value.param == "quantiles"
    with pytest.raises(ConfigError, match="less than or equal to 730") as caught:
        fitted.model.predict({"history": records, "horizon": 1000})
    assert caught.value.param == "horizon"
    with pytest.raises(DataValidationError, match="non-empty list of records") as caught:
        fitted.model.predict({"history": "views.csv"})  # never a path: a service must not read its own files
    assert caught.value.param == "history"
    with pytest.raises(DataValidationError, match=r"fitted to series \['c0', 'c1', 'c2'\].*the data has \['c0'\]"):
        fitted.model.predict(_panel_frame(260, count=1))


def test_a_series_younger_than_a_week_is_forecast_as_its_share_of_the_others(fitted, tmp_path):
    """A saved model still forecasts a creator with five days: their share of the other creators'
    views on those days, times the others' forecast on each day ahead."""
    five = ets_series(5, seed=12)
    others = _panel_frame(260, count=2)
    young = pd.concat([others, to_long({"c2": five}, start="2024-09-12")])  # ends with the others
    loaded = viewcast.load_model(fitted.model.save(tmp_path / "m"))
    answer = loaded.predict(young)
    forecast = pd.DataFrame(answer["forecast"]).pivot(index="date", columns="series", values="point")
    share = five.sum() / others.groupby("ds")["y"].sum().iloc[-5:].sum()
    np.testing.assert_allclose(forecast["c2"], share * (forecast["c0"] + forecast["c1"]))
    assert any(
        note.startswith("1 series has less than the 42 days of history the pool of models is scored on ('c2'; shortest 5 days)")
        for note in answer["notes"]
    )


def test_describe_says_what_and_how_well(fitted):
    described = fitted.model.describe()
    assert described["kind"] == "forecast" and described["model"] == "combination" and described["by"] == "creator"
    assert described["members"] == ["seasonal_naive", "ets", "dot", "mstl", "lgbm"]
    assert described["series"] == 3 and described["default_horizon"] == 14
    assert described["backtest"]["combination"] == fitted.backtest["combination"]
    assert json.loads(dumps(described)) == described


def test_edited_and_rehashed_states_are_refused(fitted, tmp_path, edit_config):
    folder = fitted.model.save(tmp_path / "m")
    for name, change, message in (
        ("weights", lambda c: c["engine"]["members"].append("arima"), "has shape"),
        ("members", lambda c: c["engine"].update(members=["prophet"]), "not models of the pool"),
        ("lgbm", lambda c: c["engine"]["global"]["lgbm"].update(model="tree\nbroken"), "does not parse"),
        ("tails", lambda c: c["engine"]["calibration"].update(tails=[[0.025, 0.5]]), "tail anchors"),
        ("states", lambda c: c["engine"]["statistical"]["states"]["ets"].pop(), "3 series but 2 fitted ets models"),
        ("trim", lambda c: c["engine"].update(trim=True), "trim must be a whole number 0..2"),
        ("holidays", lambda c: c["engine"].update(holidays="Narnia"), "holiday calendar 'Narnia' is not a country"),
    ):
        copy = Path(shutil.copytree(folder, tmp_path / name))
        edit_config(copy, change)
        with pytest.raises(ModelLoadError, match=message):
            viewcast.load_model(copy)


def test_old_ensemble_fixture_is_refused_when_edited(tmp_path, edit_config):
    folder = shutil.copytree(FIXTURES / "forecast_ensemble_model_v2", tmp_path / "m")
    viewcast.load_model(folder)
    edit_config(folder, lambda c: c["state"]["states"][0]["kinds"].pop())
    with pytest.raises(ModelLoadError, match="2 series but 1 fitted ets models"):
        viewcast.load_model(folder)


def test_edited_axis_is_refused(model_copy, edit_config):
    edit_config(model_copy, lambda c: c["axis"].update(kind="weeks"))
    with pytest.raises(ModelLoadError, match="day axis"):
        viewcast.load_model(model_copy)
