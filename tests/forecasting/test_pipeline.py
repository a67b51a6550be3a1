"""Backtest plan and selection, conformal coverage, capacity arithmetic, outputs and save/load."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from viewcast.errors import DataValidationError, ModelLoadError
from viewcast.forecasting.backtest import plan_backtest, run_backtest
from viewcast.forecasting.capacity import CapacityConfig, plan_capacity, servers_needed
from viewcast.forecasting.intervals import bands, calibrate
from viewcast.forecasting.metrics import mase, seasonal_scale, smape
from viewcast.forecasting.panel import Panel
from viewcast.forecasting.pipeline import run_forecast
from viewcast.forecasting.statistical import StatsForecaster
from viewcast.synth.series import ar2_series, ets_series, to_long


def test_plan_full_windows_when_history_allows():
    plan = plan_backtest(shortest=400, horizon=30, min_train=20, max_windows=5)
    assert (plan.windows, plan.horizon, plan.notes) == (5, 30, [])
    assert plan.cuts() == [150, 120, 90, 60, 30]


def test_plan_shorter_windows_on_the_study_sample_and_says_so():
    plan = plan_backtest(shortest=50, horizon=30, min_train=20, max_windows=5)
    assert (plan.windows, plan.horizon) == (3, 10)
    assert "used 3 origin(s) of 10 days" in plan.notes[0]
    with pytest.raises(DataValidationError, match="history too short"):
        plan_backtest(shortest=20, horizon=30, min_train=20, max_windows=5)


def test_metrics_known_values():
    actual = np.array([[[10.0, 20.0]]])
    forecast = np.array([[[12.0, 16.0]]])
    assert mase(actual, forecast, np.array([[2.0]])) == pytest.approx(1.5)
    assert smape(actual, forecast) == pytest.approx(100 * (4 / 22 + 8 / 36) / 2)
    assert seasonal_scale(np.r_[np.arange(7.0), np.arange(7.0) + 1, np.arange(7.0) + 2]) == pytest.approx(1.0)


def test_conformal_bands_cover_at_nominal_rate_with_known_noise():
    rng = np.random.default_rng(0)
    shape = (200, 4, 30)
    growth = np.sqrt(np.arange(1, 31))
    calib = calibrate(rng.normal(0, 1, shape) * growth, np.zeros(shape), np.ones(shape[:2]))
    assert calib.growth_b == pytest.approx(0.5, abs=0.08)
    fresh = rng.normal(0, 1, (500, 30)) * growth
    band = bands(np.full((500, 30), 1000.0), np.ones(500), calib)
    for level, nominal in (("80", 0.80), ("95", 0.95)):
        lo, hi = band[level]
        hit = ((1000 + fresh >= lo) & (1000 + fresh <= hi)).mean()
        assert abs(hit - nominal) < 0.025, (level, hit)
    assert np.all(band["95"][0] <= band["80"][0]) and np.all(band["95"][1] >= band["80"][1])


def test_pipeline_intervals_cover_held_out_days():
    """Seasonal random walks: seasonal naive is the true model; its 95% band holds ~95% of new days."""
    rng = np.random.default_rng(5)
    series = {}
    for i in range(40):
        pattern = rng.uniform(500, 1500, 7)
        walks = np.cumsum(rng.normal(0, 30, (48, 7)), axis=0)  # y[t] = y[t-7] + noise
        series[f"s{i}"] = (pattern + walks).ravel()[:330]
    frame = to_long({k: v[:300] for k, v in series.items()})
    result = run_forecast(frame, horizon=30, model="seasonal_naive", by="creator", progress=False)
    truth = np.concatenate([series[k][300:] for k in result.forecast["series"].unique()])
    hits95 = ((truth >= result.forecast["lo95"]) & (truth <= result.forecast["hi95"])).mean()
    hits80 = ((truth >= result.forecast["lo80"]) & (truth <= result.forecast["hi80"])).mean()
    assert 0.88 <= hits95 <= 0.995, hits95
    assert 0.70 <= hits80 <= 0.90, hits80


def test_backtest_picks_arima_on_ar2_data():
    panel = Panel(["a", "b"], np.zeros(2, dtype=np.int64), [ar2_series(200, seed=i) for i in range(2)])
    models = [StatsForecaster(n) for n in ("seasonal_naive", "ets", "theta", "arima")]
    result = run_backtest(panel, models, horizon=7, max_windows=4, progress=False)
    metrics = {k: v.metrics["mase"] for k, v in result.models.items()}
    assert result.ranking()[0] == "arima", metrics
    assert result.select()[0] == "arima"  # clearly best: the one-standard-error rule keeps it
    assert metrics["arima"] < 0.8 * min(v for k, v in metrics.items() if k != "arima")


def test_backtest_ets_beats_seasonal_naive_on_ets_data():
    panel = Panel(["a", "b"], np.zeros(2, dtype=np.int64), [ets_series(300, seed=s) for s in (1, 2)])
    models = [StatsForecaster(n) for n in ("seasonal_naive", "ets")]
    result = run_backtest(panel, models, horizon=30, max_windows=3, progress=False)
    assert result.models["ets"].metrics["mase"] < 0.9 * result.models["seasonal_naive"].metrics["mase"]


def test_ensemble_is_the_mean_of_its_members_in_backtest_and_forecast():
    from viewcast.forecasting.ensemble import EnsembleForecaster, add_to_backtest

    panel = Panel(["a"], np.zeros(1, dtype=np.int64), [ets_series(150, seed=7)])
    result = run_backtest(
        panel, [StatsForecaster(n) for n in ("ets", "arima", "theta")], horizon=14, max_windows=2, progress=False
    )
    assert add_to_backtest(result)
    members = np.mean([result.models[m].forecast for m in ("ets", "arima", "theta")], axis=0)
    np.testing.assert_allclose(result.models["ensemble"].forecast, members)
    fitted = EnsembleForecaster().fit(panel)
    single = np.mean([StatsForecaster(m).fit(panel).predict(panel, 5) for m in ("ets", "arima", "theta")], axis=0)
    np.testing.assert_allclose(fitted.predict(panel, 5), single)


def test_one_standard_error_rule_prefers_the_stable_model_among_near_ties():
    from viewcast.forecasting.backtest import BacktestPlan, BacktestResult, ModelBacktest

    actual = np.ones((1, 4, 1)) * 10
    scale = np.ones((1, 4))

    def model(errors):
        forecast = actual + np.array(errors, float).reshape(1, 4, 1)
        return ModelBacktest(forecast, {"mase": float(np.mean(np.abs(errors)))}, 0.0)

    plan = BacktestPlan(1, 4, 1, 10, 1, 1)
    near = BacktestResult(plan, actual, scale, np.arange(1), {"lstm": model([1, 3, 1, 3]), "theta": model([2, 2, 2, 2.5])}, scale)
    assert near.ranking()[0] == "lstm"
    chosen, reason = near.select()
    assert chosen == "theta" and "one standard error" in reason
    clear = BacktestResult(
        plan, actual, scale, np.arange(1), {"lstm": model([1, 1, 1, 1.1]), "theta": model([3, 3, 3, 3])}, scale
    )
    assert clear.select()[0] == "lstm"


def test_capacity_arithmetic():
    config = CapacityConfig(views_per_server_day=1_000_000, peak_factor=2.0, headroom=0.25, cost_per_server_day=10)
    # 1.2M views * 2 * 1.25 / 1M = 3.0 servers exactly; 1.21M -> 3.025 -> 4
    assert servers_needed(np.array([1_200_000, 1_210_000, 0]), config).tolist() == [3, 4, 0]
    plan = plan_capacity(["d1", "d2", "d3"], np.array([1_200_000, 1_210_000, 400_000]), np.array([1e6, 1e6, 3e5]), config)
    assert (plan["peak_servers"], plan["peak_date"], plan["server_days"]) == (4, "d2", 8)
    assert plan["total_cost"] == 80 and plan["flat_peak_cost"] == 120
    assert "4 servers" in plan["recommendation"]


def test_forecasts_never_negative():
    y = np.maximum(5000 - 60 * np.arange(100.0), 0) + np.random.default_rng(0).uniform(0, 50, 100)
    result = run_forecast(to_long({"fading": y}), horizon=30, model="ets", progress=False)
    values = result.forecast[["point", "lo80", "hi80", "lo95", "hi95"]].to_numpy()
    assert (values >= 0).all()
    assert (result.forecast["lo95"] <= result.forecast["point"]).all() and (
        result.forecast["point"] <= result.forecast["hi95"]
    ).all()


@pytest.mark.parametrize("model", ["ets", "lstm", "ensemble"])
def test_save_load_gives_identical_numbers(tmp_path, model):
    frame = to_long({"a": ets_series(120, seed=3), "b": ets_series(120, seed=4)})
    options = dict(horizon=14, model=model, by="creator", progress=False, lstm={"max_epochs": 3})
    first = run_forecast(frame, **options)
    first.save_model(tmp_path / "m")
    again = run_forecast(frame, load_model=tmp_path / "m", **options)
    pd.testing.assert_frame_equal(first.forecast, again.forecast)
    assert again.loaded_from == str(tmp_path / "m")
    with pytest.raises(Exception, match="fitted to series"):
        run_forecast(to_long({"zzz": ets_series(120)}), load_model=tmp_path / "m", **options)


def test_tampered_model_is_refused(tmp_path):
    frame = to_long({"a": ets_series(80, seed=3)})
    run_forecast(frame, horizon=7, model="seasonal_naive", progress=False).save_model(tmp_path / "m")
    weights = tmp_path / "m" / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"0000")
    with pytest.raises(ModelLoadError, match="checksum"):
        run_forecast(frame, load_model=tmp_path / "m", horizon=7)


def test_cli_forecast_writes_every_output(tmp_path, run_cli):
    data = tmp_path / "v.csv"
    run_cli("data", "synth", "influencers", "--creators", "4", "--days", "60", "--out", data)
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        "forecast",
        data,
        "--out",
        out,
        "--model",
        "theta",
        "--by",
        "category",
        "--save-model",
        tmp_path / "m",
        "--views-per-server-day",
        "1000000",
    )
    assert code == 0, err
    assert "Chosen model: theta" in stdout and "Servers needed: peak" in stdout
    for name in ("forecast.csv", "metrics.json", "forecast.png", "backtest.png", "report.html"):
        assert (out / name).stat().st_size > 0, name
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast.columns) == ["series", "date", "point", "lo80", "hi80", "lo95", "hi95"]
    assert forecast["date"].min() == 61 and forecast["date"].max() == 90
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["chosen_model"] == "theta"
    assert set(metrics["backtest"]["models"]) == {"theta", "seasonal_naive"}
    assert metrics["capacity_plan"]["assumptions"]["views_per_server_day"] == 1_000_000
    assert metrics["next_total"]["hi95"] >= metrics["next_total"]["point"]
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "Capacity plan" in html
    code, stdout, _ = run_cli("forecast", data, "--out", tmp_path / "out2", "--by", "category", "--load-model", tmp_path / "m")
    assert code == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out2" / "forecast.csv"), forecast)
    code, _, err = run_cli("forecast", data, "--out", tmp_path / "o3", "--save-model", "a", "--load-model", "b")
    assert code == 2 and "either --save-model or --load-model" in err


def test_auto_beats_seasonal_naive_on_long_real_looking_series(tmp_path):
    """Held-out last 30 days of 300-day demand series (trend changes, holidays, level shifts),
    one run per series as a user forecasting a total would, in both input formats."""
    from viewcast.synth.series import demand_series

    errors, naive_errors, hits = [], [], []
    for seed in (11, 12, 13):
        values = demand_series(300, seed=seed)
        train, test = values[:-30], values[-30:]
        if seed % 2:
            source = tmp_path / f"s{seed}.csv"
            rows = [f'{d + 1},7,News,"{int(v):,}"' for d, v in enumerate(train)]
            source.write_text("Day,TikTokerID,Category,  Views  \n" + "\n".join(rows) + "\n")
        else:
            source = to_long({"page": train})
        fc = run_forecast(source, horizon=30, progress=False).forecast
        scale = seasonal_scale(train)
        errors.append(np.mean(np.abs(test - fc["point"].to_numpy())) / scale)
        naive_errors.append(np.mean(np.abs(test - np.tile(train[-7:], 5)[:30])) / scale)
        hits.append((test >= fc["lo95"].to_numpy()) & (test <= fc["hi95"].to_numpy()))
    assert np.mean(errors) < np.mean(naive_errors), (errors, naive_errors)
    assert np.mean(hits) >= 0.85, np.mean(hits)


def test_capacity_plan_does_not_depend_on_how_series_are_split(tmp_path):
    from viewcast.synth.influencers import write_influencers

    path = tmp_path / "v.csv"
    write_influencers(path, creators=8, days=150, seed=2)
    plans = {by: run_forecast(path, horizon=14, model="ets", by=by, progress=False) for by in ("total", "creator")}
    total, creator = (plans[b].totals for b in ("total", "creator"))
    assert creator["point"] == pytest.approx(total["point"], rel=0.1)
    assert creator["hi95"] == pytest.approx(total["hi95"], rel=0.15)  # not the sum of 8 creators' own bounds
    creator_sum_of_bounds = plans["creator"].forecast["hi95"].sum()
    assert creator["hi95"] < creator_sum_of_bounds


def test_creators_ending_early_are_forecast_to_the_common_dates(tmp_path):
    frame = to_long({"a": ets_series(100, seed=1), "b": ets_series(90, seed=2)})
    result = run_forecast(frame, horizon=10, model="seasonal_naive", by="creator", progress=False)
    dates = result.forecast.groupby("series")["date"].agg(["min", "max"])
    assert (dates["min"] == "2024-04-10").all() and (dates["max"] == "2024-04-19").all()
    assert any("forecast through their missing days: b (10 days)" in n for n in result.notes)
    assert len(result.capacity["daily"]) == 10
