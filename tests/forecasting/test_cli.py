"""The forecast commands do their job: every output, a saved model that gives the same numbers,
the demo, and the synthetic data generator."""

from __future__ import annotations

import json

import pandas as pd

from viewcast.forecasting.data import load_views


def test_forecast_writes_every_output_and_the_saved_model_repeats_it(tmp_path, run_cli):
    data = tmp_path / "v.csv"
    assert run_cli("data", "synth", "influencers", "--creators", "4", "--days", "60", "--out", data)[0] == 0
    out, model = tmp_path / "out", tmp_path / "m"
    args = ("--model", "theta", "--by", "category", "--views-per-server-day", "1000000")
    code, stdout, err = run_cli("forecast", data, "--out", out, "--save-model", model, *args)
    assert code == 0, err
    assert "Model: theta" in stdout and "Servers needed: peak" in stdout and f"Model saved: {model}" in stdout
    for name in ("forecast.csv", "weights.csv", "metrics.json", "forecast.png", "capacity.png", "backtest.png", "report.html"):
        assert (out / name).stat().st_size > 0, name
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast.columns) == ["series", "date", "point", "lo80", "hi80", "lo95", "hi95"]
    assert forecast["date"].min() == 61 and forecast["date"].max() == 90
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["chosen_model"] == "theta" and list(metrics["backtest"]["members"]) == ["theta"]
    assert metrics["capacity_plan"]["assumptions"]["views_per_server_day"] == 1_000_000
    assert metrics["next_total"]["hi95"] >= metrics["next_total"]["point"]
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "Capacity plan" in html
    # --by is the model's unless given; the capacity assumptions are this run's
    code, stdout, err = run_cli(
        "forecast", data, "--out", tmp_path / "again", "--load-model", model, "--views-per-server-day", "1000000"
    )
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / "forecast.csv"), forecast)
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert again["loaded_from"] == str(model) and again["capacity_plan"] == metrics["capacity_plan"]
    # a second run replaces the first run's folder whole
    code, _, err = run_cli("forecast", data, "--out", out, "--model", "seasonal_naive", "--horizon", "7")
    assert code == 0, err
    assert len(pd.read_csv(out / "forecast.csv")) == 7 and "loss.png" not in {p.name for p in out.iterdir()}


def test_demo_forecasts_the_bundled_sample_and_shows_the_studys_lstm(tmp_path, run_cli):
    code, stdout, err = run_cli("demo", "--out", tmp_path / "demo")
    assert code == 0, err
    assert "Sample data: influencers_sample.csv" in stdout and "Next 30 days:" in stdout
    assert "Model: per-series combination of seasonal_naive, ets, dot, mstl" in stdout
    metrics = json.loads((tmp_path / "demo" / "metrics.json").read_text())
    assert metrics["horizon"] == 30 and metrics["series"] == 1 and metrics["lstm_train_test"]["train"]["windows"] > 0
    assert metrics["chosen_model"] == "combination" and "lstm" in metrics["backtest"]["reported_only"]
    assert (tmp_path / "demo" / "loss.png").exists()


def test_synth_writes_the_study_format_with_dates(tmp_path, run_cli):
    path = tmp_path / "s.csv"
    code, stdout, _ = run_cli(
        "data", "synth", "influencers", "--creators", "3", "--days", "12", "--start-date", "2024-02-27", "--out", path
    )
    assert code == 0 and "36 rows" in stdout
    data = load_views(path)
    assert data.axis.origin == "2024-02-27" and data.frame["t"].max() == 11 and len(data.frame) == 36
