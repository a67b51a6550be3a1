"""``run(data, config)`` end to end: bands that hold on both sides, a total that is the sum of the
series, a capacity plan that does not depend on how series are split, ragged panels, short
histories, single models, strict JSON and outputs that appear whole or not at all."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import viewcast
from viewcast.errors import DataValidationError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.data import load_views
from viewcast.forecasting.models.statistical import seasonal_naive
from viewcast.forecasting.pipeline import run
from viewcast.forecasting.report import forecast_figure
from viewcast.io.outputs import MARKER
from viewcast.synth.influencers import generate_influencers, write_influencers
from viewcast.synth.series import ets_series, to_long


def _seasonal_walks(count: int, days: int, seed: int) -> dict[str, np.ndarray]:
    """y[t] = y[t-7] + noise: seasonal naive is the true model, its errors grow like sqrt(h/7)."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(count):
        walks = np.cumsum(rng.normal(0, 30, (days // 7 + 1, 7)), axis=0)
        out[f"s{i:02d}"] = (rng.uniform(2000, 4000, 7) + walks).ravel()[:days]
    return out


def test_bands_hold_about_nominal_on_each_side_of_held_out_days():
    series = _seasonal_walks(40, 230, seed=5)
    frame = to_long({k: v[:200] for k, v in series.items()})
    result = viewcast.forecast(frame, horizon=30, model="seasonal_naive", by="creator", progress=False)
    truth = np.concatenate([series[k][200:] for k in result.forecast["series"].unique()])
    fc = result.forecast
    above95, below95 = np.mean(truth > fc["hi95"]), np.mean(truth < fc["lo95"])
    above80, below80 = np.mean(truth > fc["hi80"]), np.mean(truth < fc["lo80"])
    # nominal 2.5% and 10% per side; the conformal levels are set a little wide on purpose (0.97, 0.85)
    assert above95 <= 0.05 and below95 <= 0.05, (above95, below95)
    assert 0.02 <= above80 <= 0.16 and 0.02 <= below80 <= 0.16, (above80, below80)
    assert 0.0 <= result.backtest["combination"]["above_95"] <= 0.06
    assert (fc["lo95"] <= fc["lo80"]).all() and (fc["lo80"] <= fc["point"]).all()
    assert (fc["point"] <= fc["hi80"]).all() and (fc["hi80"] <= fc["hi95"]).all()


def test_total_of_one_model_is_the_sum_of_the_series_with_its_own_bands():
    result = viewcast.forecast(to_long(_seasonal_walks(5, 120, seed=6)), horizon=14, model="ets", by="creator", progress=False)
    assert result.backtest["total"]["forecast"] == "bottom-up"
    summed = result.forecast.groupby("date", sort=False)["point"].sum().to_numpy()
    np.testing.assert_allclose(result.total["point"].to_numpy(), summed)
    # the total's band is far narrower than the sum of the series' bounds (they do not all peak at once)
    assert result.total["hi95"].sum() < result.forecast["hi95"].sum()
    assert result.totals["point"] == pytest.approx(summed.sum())
    series_q, total_q = result.quantiles(0.99)
    assert (total_q["bound"] >= result.total["hi95"]).all() and (series_q["bound"].to_numpy() >= result.forecast["hi95"]).all()
    np.testing.assert_allclose(result.quantiles(0.975)[1]["bound"], result.total["hi95"])


def test_weights_follow_the_series_and_the_report_says_why(tmp_path):
    rng = np.random.default_rng(7)
    t = np.arange(260)
    week = 1000 + 300 * np.sin(2 * np.pi * t / 7)
    frame = to_long({"steady": week + rng.normal(0, 5, 260), "wandering": ets_series(260, seed=8)})
    result = viewcast.forecast(frame, horizon=14, by="creator", progress=False)
    weights = result.weights.set_index("series")
    assert set(result.backtest["members"]) == {"seasonal_naive", "ets", "dot", "mstl", "lgbm"}
    assert np.allclose(weights.filter(like="weight_").sum(axis=1), 1.0)
    # a fixed weekly wave with small noise: seasonal naive or the seasonal models carry it, not a trend model alone
    for name in ("steady", "wandering"):
        maes = weights.loc[name].filter(like="mae_")
        assert weights.loc[name, "leader"] == maes.idxmin().removeprefix("mae_")  # the lowest MAE leads
    assert "per-series weights proportional to 1/MAE²" in result.selection
    result.save(tmp_path / "out")
    saved = pd.read_csv(tmp_path / "out" / "weights.csv")
    assert list(saved["series"]) == ["steady", "wandering"] and "leader" in saved.columns
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Which members carry which series" in html and "steady" in html


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
    frame = to_long({"a": ets_series(100, seed=1), "b": ets_series(90, seed=2), "c": ets_series(60, seed=3)})
    result = viewcast.forecast(frame, horizon=10, by="creator", progress=False)
    dates = result.forecast.groupby("series")["date"].agg(["min", "max"])
    assert (dates["min"] == "2024-04-10").all() and (dates["max"] == "2024-04-19").all()
    assert any("forecast through their missing days: b (10 days), c (40 days)" in n for n in result.notes)
    assert len(result.capacity["daily"]) == 10 and np.isfinite(result.forecast[["lo95", "hi95"]].to_numpy()).all()
    assert result.backtest_detail.plan.steps == 50  # the horizon plus the longest lag
    # the loaded model repeats it
    again = result.model.predict(frame)
    pd.testing.assert_frame_equal(pd.DataFrame(again["forecast"]), result.forecast)


def test_creators_who_joined_later_are_forecast_from_their_own_history():
    """A panel whose series start on different days but end together (creators join over time)."""
    old, young = _seasonal_walks(4, 330, seed=11), _seasonal_walks(3, 120, seed=12)
    young = {f"young_{k}": v * 3 for k, v in young.items()}  # a different level, so a mix-up shows
    frame = pd.concat(
        [to_long({k: v[:300] for k, v in old.items()}), to_long({k: v[:90] for k, v in young.items()}, start="2024-07-29")]
    )
    assert frame.groupby("unique_id")["ds"].max().nunique() == 1
    result = viewcast.forecast(frame, horizon=30, by="creator", progress=False)
    fc = result.forecast
    assert fc.groupby("series")["date"].agg(["min", "max", "count"]).drop_duplicates().shape[0] == 1
    truth = {**{k: v[300:] for k, v in old.items()}, **{k: v[90:] for k, v in young.items()}}
    for name, part in fc.groupby("series"):
        level = truth[name].mean()  # a seasonal walk wanders little in 30 days: about its last level
        assert abs(part["point"].mean() / level - 1) < 0.05, (name, part["point"].mean(), level)
    # the young series have windows from 7 of the 12 weekly origins (30..76 days back); the total's
    # choice is scored only where every series has one
    assert result.backtest["total"]["shared_origins"] == 7
    total_truth = sum(t.mean() for t in truth.values())
    assert abs(result.total["point"].mean() / total_truth - 1) < 0.03


def test_creators_newer_than_the_horizon_are_forecast_from_the_days_they_have():
    """A creator who joined last week does not block the panel. Every creator here shares the
    platform's week: twelve days keep it from the creator's own last week (seasonal naive), three
    days borrow it from the panel as one share, twenty days as a share per weekday, and the newest
    creator's bands are the widest."""
    week = np.array([900.0, 1500, 1300, 1100, 1000, 600, 500])  # by day t mod 7
    old = {k: v * np.resize(week / week.mean(), 200) for k, v in _seasonal_walks(10, 200, seed=21).items()}
    days = {"new_12": 12, "new_20": 20, "new_3": 3}
    noise = np.random.default_rng(3).normal(1.0, 0.03, 20)
    new = {name: week[np.arange(200 - n, 200) % 7] * noise[:n] for name, n in days.items()}
    last_day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=199)
    joined = {name: (last_day - pd.Timedelta(days=n - 1)).strftime("%Y-%m-%d") for name, n in days.items()}
    frame = pd.concat([to_long(old), *(to_long({k: v}, start=joined[k]) for k, v in new.items())])
    result = viewcast.forecast(frame, horizon=30, by="creator", progress=False)
    fc = result.forecast.set_index("series")
    assert fc.groupby(level=0)["date"].agg(["min", "max", "count"]).drop_duplicates().shape[0] == 1
    assert np.isfinite(fc[["point", "lo95", "hi95"]].to_numpy()).all()
    assert (fc["lo95"] <= fc["point"]).all() and (fc["point"] <= fc["hi95"]).all()
    ahead = week[np.arange(200, 230) % 7]
    for name in days:
        point = fc.loc[name, "point"].to_numpy()
        assert np.corrcoef(point, ahead)[0, 1] > 0.9, name  # the platform's week
        assert abs(point.mean() / ahead.mean() - 1) < 0.1, name  # at the creator's level
    # under four weeks ETS, DOT, MSTL and LightGBM stand aside: the twelve days repeat their last week,
    np.testing.assert_allclose(fc.loc["new_12", "point"], seasonal_naive(new["new_12"], 30))
    # the twenty days are read as a share of the established creators on each weekday
    established = fc.drop(list(days)).groupby("date")["point"].sum().to_numpy()
    others = sum(v[-20:] for v in old.values())
    shares = np.bincount(np.arange(180, 200) % 7, new["new_20"]) / np.bincount(np.arange(180, 200) % 7, others)
    np.testing.assert_allclose(fc.loc["new_20", "point"], shares[np.arange(200, 230) % 7] * established)
    widths = (fc["hi95"] - fc["lo95"]).groupby(level=0).mean() / fc["point"].groupby(level=0).mean()
    assert widths["new_3"] == widths.max() and widths["new_3"] > 2 * widths.drop(list(days)).max()
    assert any(
        n.startswith(
            "3 series have less than the 42 days of history the pool of models is scored on ('new_12', 'new_20', 'new_3'; shortest 3 days)"
        )
        for n in result.notes
    )
    # the saved model forecasts the same panel the same way
    again = result.model.predict(frame)
    pd.testing.assert_frame_equal(pd.DataFrame(again["forecast"]), result.forecast)


def test_creators_written_with_zeros_before_they_joined_are_forecast_as_if_they_joined_then():
    """The same panel as above, but as a table that lists every creator on every day (0 before joining)."""
    old, young = _seasonal_walks(4, 300, seed=11), _seasonal_walks(3, 90, seed=12)
    ragged = pd.concat([to_long(old), to_long({f"young_{k}": v * 3 for k, v in young.items()}, start="2024-07-29")])
    wide = ragged.pivot(index="ds", columns="unique_id", values="y").fillna(0.0)
    padded = wide.reset_index().melt(id_vars="ds", var_name="unique_id", value_name="y")
    assert len(padded) == 7 * 300 and (padded["y"] == 0).sum() == 3 * 210
    as_rows, as_zeros = (viewcast.forecast(f, horizon=30, by="creator", progress=False) for f in (ragged, padded))
    pd.testing.assert_frame_equal(as_zeros.forecast, as_rows.forecast)
    pd.testing.assert_frame_equal(as_zeros.total, as_rows.total)
    assert any(n.startswith("3 series begin with days of zero views") for n in as_zeros.notes)
    assert not any("days of zero views" in n for n in as_rows.notes)
    # a saved model reads the padded table the same way and says so
    again = as_rows.model.predict(padded)
    pd.testing.assert_frame_equal(pd.DataFrame(again["forecast"]), as_rows.forecast)
    assert any(n.startswith("3 series begin with days of zero views") for n in again["notes"])


def test_the_studys_short_sample_gets_short_windows_and_the_lstm_table(tmp_path):
    path = tmp_path / "study.csv"
    write_influencers(path, creators=10, days=50, seed=0)
    result = viewcast.forecast(path, horizon=30, study_lstm=True, progress=False, lstm={"max_epochs": 3})
    assert result.chosen == "combination" and result.backtest["window_days"] == 22 and result.backtest["origins"] == 3
    assert any("3 origin(s) of 22 days" in n for n in result.notes)
    assert any("Bands for days 23-30 extrapolate" in n for n in result.notes)
    (few,) = [n for n in result.notes if n.startswith("Only 12 backtest errors calibrate the first days' bands")]
    # 12 errors cannot tell the 80% band from the 95%: both are the largest error, and the note says so
    assert "the 80% and the 95% band both rest on the largest errors seen (so they coincide there)" in few
    np.testing.assert_allclose(result.forecast[["lo80", "hi80"]], result.forecast[["lo95", "hi95"]])
    assert _legend_labels(forecast_figure(result))[1:3] == ["80% = 95% interval", f"forecast ({result.chosen})"]
    assert any("LightGBM learns across series" in n for n in result.notes)
    assert result.lstm_table["train"]["windows"] > 0 and "lstm" in result.backtest["reported_only"]
    assert "lstm" not in result.backtest["members"]


def _legend_labels(figure) -> list[str]:
    return [text.get_text() for text in figure.axes[0].get_legend().get_texts()]


def test_a_year_of_one_series_tells_the_80_from_the_95_band_and_says_only_the_95_rests_on_extremes():
    """12 weekly origins give 48 errors at the first step: enough for the 80% band, not the 95%."""
    result = viewcast.forecast(to_long({"a": ets_series(365, seed=5)}), horizon=30, progress=False)
    (few,) = [n for n in result.notes if n.startswith("Only 48 backtest errors")]
    assert "the 95% band rests on the largest errors seen and may be too narrow; read it as" in few
    assert (result.forecast["hi95"] > result.forecast["hi80"]).all()
    assert (result.forecast["lo95"] < result.forecast["lo80"]).all()
    assert _legend_labels(forecast_figure(result))[1:3] == ["95% interval", "80% interval"]


def test_the_studys_lstm_learns_from_the_creators_long_enough_for_its_split():
    """A creator who joined 12 days ago no longer keeps the study's LSTM table from the others."""
    frame = generate_influencers(6, 50, seed=0).frame
    frame = frame[(frame["creator"] != 6) | (frame["day"] > 38)]
    result = viewcast.forecast(frame, horizon=7, by="creator", study_lstm=True, progress=False, lstm={"max_epochs": 2})
    assert result.lstm_table["train"]["windows"] == 5 * (40 - 10)  # 50 days split at 40, 10-day windows
    assert "from 5 series (not the 1 shorter than 21 days)" in result.lstm_history["note"]
    assert result.backtest["reported_only"]["lstm"]["relative_mae"] > 0


def test_single_models_forecast_alone_with_the_benchmark_beside():
    frame = to_long({"a": ets_series(120, seed=3), "b": ets_series(120, seed=4)})
    result = viewcast.forecast(frame, horizon=7, model="theta", by="creator", progress=False)
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert payload["chosen_model"] == "theta" and payload["selection"] == "requested"
    assert list(payload["backtest"]["members"]) == ["theta"] and payload["backtest"]["benchmark"]["name"] == "seasonal_naive"
    assert payload["series"] == 2 and payload["config"]["horizon"] == 7
    assert payload["capacity_plan"]["server_days"] == sum(d["servers"] for d in payload["capacity_plan"]["daily"])
    assert result.model.name == "theta" and result.model.series == ["a", "b"]
    longer = to_long({"a": ets_series(250, seed=3), "b": ets_series(250, seed=4)})
    lgbm = viewcast.forecast(longer, horizon=7, model="lgbm", by="creator", progress=False)
    assert lgbm.chosen == "lgbm" and np.isfinite(lgbm.forecast["point"]).all()
    with pytest.raises(DataValidationError, match="model lgbm learns across series") as caught:
        viewcast.forecast(frame, horizon=7, model="lgbm", by="creator", progress=False)
    assert caught.value.param == "model"


def test_forecasts_never_negative_and_inside_their_bands():
    y = np.maximum(5000 - 60 * np.arange(100.0), 0) + np.random.default_rng(0).uniform(0, 50, 100)
    result = viewcast.forecast(to_long({"fading": y}), horizon=30, progress=False)
    values = result.forecast[["point", "lo80", "hi80", "lo95", "hi95"]].to_numpy()
    assert (values >= 0).all()
    assert (result.forecast["lo95"] <= result.forecast["point"]).all()
    assert (result.forecast["point"] <= result.forecast["hi95"]).all()


def test_outputs_appear_whole_or_not_at_all(two_series, tmp_path, monkeypatch):
    result = viewcast.forecast(two_series, horizon=7, model="seasonal_naive", progress=False)
    target = result.save(tmp_path / "out")
    names = {p.name for p in target.iterdir()}
    assert {
        "forecast.csv",
        "weights.csv",
        "metrics.json",
        "forecast.png",
        "capacity.png",
        "backtest.png",
        "report.html",
        MARKER,
    } <= names
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
