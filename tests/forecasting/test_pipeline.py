"""``run(data, config)`` end to end: intervals that cover, forecasts that are never negative, a
capacity plan that does not depend on how series are split, ragged panels, strict JSON and
outputs that appear whole or not at all."""

from __future__ import annotations

import json

import numpy as np
import pytest

import viewcast
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.data import load_views
from viewcast.forecasting.evaluation.metrics import seasonal_scale
from viewcast.forecasting.pipeline import run
from viewcast.io.outputs import MARKER
from viewcast.synth.influencers import write_influencers
from viewcast.synth.series import demand_series, ets_series, to_long


def test_pipeline_intervals_cover_held_out_days():
    """Seasonal random walks: seasonal naive is the true model; its 95% band holds ~95% of new days."""
    rng = np.random.default_rng(5)
    series = {}
    for i in range(40):
        pattern = rng.uniform(500, 1500, 7)
        walks = np.cumsum(rng.normal(0, 30, (48, 7)), axis=0)  # y[t] = y[t-7] + noise
        series[f"s{i}"] = (pattern + walks).ravel()[:330]
    frame = to_long({k: v[:300] for k, v in series.items()})
    result = viewcast.forecast(frame, horizon=30, model="seasonal_naive", by="creator", progress=False)
    truth = np.concatenate([series[k][300:] for k in result.forecast["series"].unique()])
    hits95 = ((truth >= result.forecast["lo95"]) & (truth <= result.forecast["hi95"])).mean()
    hits80 = ((truth >= result.forecast["lo80"]) & (truth <= result.forecast["hi80"])).mean()
    assert 0.88 <= hits95 <= 0.995, hits95
    assert 0.70 <= hits80 <= 0.90, hits80


def test_forecasts_never_negative_and_inside_their_bands():
    y = np.maximum(5000 - 60 * np.arange(100.0), 0) + np.random.default_rng(0).uniform(0, 50, 100)
    result = viewcast.forecast(to_long({"fading": y}), horizon=30, model="ets", progress=False)
    values = result.forecast[["point", "lo80", "hi80", "lo95", "hi95"]].to_numpy()
    assert (values >= 0).all()
    assert (result.forecast["lo95"] <= result.forecast["point"]).all()
    assert (result.forecast["point"] <= result.forecast["hi95"]).all()


def test_auto_beats_seasonal_naive_on_long_real_looking_series(tmp_path):
    """Held-out last 30 days of 300-day demand series (trend changes, holidays, level shifts),
    one run per series as a user forecasting a total would, in both input formats. (Kept small:
    benchmarks/forecast_bench.py measures the same on more series.)"""
    errors, naive_errors, hits = [], [], []
    for seed in (11, 12):
        values = demand_series(300, seed=seed)
        train, test = values[:-30], values[-30:]
        if seed % 2:
            source = tmp_path / f"s{seed}.csv"
            rows = [f'{d + 1},7,News,"{int(v):,}"' for d, v in enumerate(train)]
            source.write_text("Day,TikTokerID,Category,  Views  \n" + "\n".join(rows) + "\n")
        else:
            source = to_long({"page": train})
        fc = viewcast.forecast(source, horizon=30, backtest_windows=3, progress=False, lstm={"max_epochs": 2}).forecast
        scale = seasonal_scale(train)
        errors.append(np.mean(np.abs(test - fc["point"].to_numpy())) / scale)
        naive_errors.append(np.mean(np.abs(test - np.tile(train[-7:], 5)[:30])) / scale)
        hits.append((test >= fc["lo95"].to_numpy()) & (test <= fc["hi95"].to_numpy()))
    assert np.mean(errors) < np.mean(naive_errors), (errors, naive_errors)
    assert np.mean(hits) >= 0.85, np.mean(hits)


def test_capacity_plan_does_not_depend_on_how_series_are_split(tmp_path):
    path = tmp_path / "v.csv"
    write_influencers(path, creators=8, days=150, seed=2)
    views = load_views(path)
    plans = {by: run(views, ForecastConfig(horizon=14, model="ets", by=by, progress=False)) for by in ("total", "creator")}
    total, creator = (plans[b].totals for b in ("total", "creator"))
    assert creator["point"] == pytest.approx(total["point"], rel=0.1)
    assert creator["hi95"] == pytest.approx(total["hi95"], rel=0.15)  # not the sum of 8 creators' own bounds
    assert creator["hi95"] < plans["creator"].forecast["hi95"].sum()


def test_creators_ending_early_are_forecast_to_the_common_dates():
    frame = to_long({"a": ets_series(100, seed=1), "b": ets_series(90, seed=2)})
    result = viewcast.forecast(frame, horizon=10, model="seasonal_naive", by="creator", progress=False)
    dates = result.forecast.groupby("series")["date"].agg(["min", "max"])
    assert (dates["min"] == "2024-04-10").all() and (dates["max"] == "2024-04-19").all()
    assert any("forecast through their missing days: b (10 days)" in n for n in result.notes)
    assert len(result.capacity["daily"]) == 10


def test_result_is_strict_json_and_names_its_choice(two_series):
    result = viewcast.forecast(two_series, horizon=7, model="theta", by="creator", progress=False)
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert payload["chosen_model"] == "theta" and payload["selection"] == "requested"
    assert set(payload["backtest"]["models"]) == {"theta", "seasonal_naive"}
    assert payload["series"] == 2 and payload["config"]["horizon"] == 7
    assert payload["capacity_plan"]["server_days"] == sum(d["servers"] for d in payload["capacity_plan"]["daily"])
    assert result.model.name == "theta" and result.model.series == ["a", "b"]


def test_outputs_appear_whole_or_not_at_all(two_series, tmp_path, monkeypatch):
    result = viewcast.forecast(two_series, horizon=7, model="seasonal_naive", progress=False)
    target = result.save(tmp_path / "out")
    names = {p.name for p in target.iterdir()}
    assert {"forecast.csv", "metrics.json", "forecast.png", "capacity.png", "backtest.png", "report.html", MARKER} <= names
    assert "loss.png" not in names  # the LSTM did not train
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    from viewcast.forecasting import report

    def broken(_result):
        raise RuntimeError("disk full while drawing")

    monkeypatch.setattr(report, "backtest_figure", broken)  # after forecast.csv and metrics.json are staged
    again = viewcast.forecast(two_series, horizon=5, model="seasonal_naive", progress=False)
    with pytest.raises(RuntimeError, match="disk full"):
        again.save(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before  # the previous run, untouched
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind
