"""The model pool: statistical members fitted once and forwarded, the global LightGBM on numpy
lag features (saved as LightGBM's text model), the study's LSTM recipe pinned, and the state every
member saves and restores."""

from __future__ import annotations

import multiprocessing
import os
import signal
import typing

import numpy as np
import pytest
import torch

from viewcast.errors import ConfigError, ModelLoadError
from viewcast.forecasting.cleaning import clean
from viewcast.forecasting.config import ForecastConfig, LSTMRecipe
from viewcast.forecasting.members import plan_run
from viewcast.forecasting.models import AUTO_MEMBERS, GLOBAL, MODEL_NAMES, STATISTICAL, global_class
from viewcast.forecasting.models.boosting import LightGBMForecaster
from viewcast.forecasting.models.codec import encode
from viewcast.forecasting.models.lag_features import FEATURES, LOOKBACK, features, training_rows
from viewcast.forecasting.models.lstm import LSTMForecaster, StudyLSTM, make_windows, split_point
from viewcast.forecasting.models.statistical import SPECS, SeriesTask, StatisticalModels, run_series, seasonal_naive
from viewcast.forecasting.models.yearly import YEAR, YEARLY_MIN_DAYS, yearly_cycle
from viewcast.forecasting.panel import Panel
from viewcast.synth.series import ets_series


def _panel(values, ids=None, starts=None):
    values = [np.asarray(v, float) for v in values]
    starts = np.zeros(len(values), dtype=np.int64) if starts is None else np.asarray(starts, dtype=np.int64)
    return Panel(ids or [f"s{i}" for i in range(len(values))], starts, values)


def _quick(max_epochs: int = 3, **recipe) -> LSTMForecaster:
    return LSTMForecaster(LSTMRecipe(max_epochs=max_epochs, **recipe), progress=False)


# --- the pool ---------------------------------------------------------------------------------
def test_the_pool_and_the_model_option_agree():
    assert MODEL_NAMES == ("seasonal_naive", "ets", "dot", "mstl", "mstl_yearly", "theta", "arima", "lgbm", "lstm")
    assert set(AUTO_MEMBERS) <= set(MODEL_NAMES) and "lstm" not in AUTO_MEMBERS
    assert set(SPECS) == set(STATISTICAL) - {"seasonal_naive"}
    choices = typing.get_args(ForecastConfig.model_fields["model"].annotation)
    assert choices == ("auto", *MODEL_NAMES)  # the option accepts exactly the pool
    for name in GLOBAL:
        assert global_class(name).name == name
    with pytest.raises(ValueError, match="'ets' is not a global model"):
        global_class("ets")


def test_seasonal_naive_repeats_the_last_cleaned_week():
    week = np.array([1.0, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(seasonal_naive(np.tile(week, 3) * 10, 10), np.r_[week, week[:3]] * 10)
    # shorter than a week: no weekday profile to repeat, only the mean level
    np.testing.assert_array_equal(seasonal_naive(np.array([4.0, 5.0, 9.0]), 9), np.full(9, 6.0))


def test_forwarding_from_an_origin_equals_a_fit_there_for_seasonal_naive():
    from statsforecast.models import SeasonalNaive

    y = ets_series(120, seed=5)
    y[110] *= 3  # an outlier in the last week: cleaned away before seasonal naive copies it
    out, states = run_series(SeriesTask(y, [60, 90, 120], 14, ("ets",), None))
    for k, origin in enumerate((60, 90, 120)):
        refit = SeasonalNaive(season_length=7).fit(clean(y[:origin])).predict(h=14)["mean"]
        np.testing.assert_allclose(out[0, k], refit)
    assert out.shape == (2, 3, 14) and isinstance(states[0], dict) and (out >= 0).all()


@pytest.mark.parametrize("name", ["ets", "dot", "mstl", "mstl_yearly", "theta"])
def test_statistical_state_round_trip_forecasts_the_same(name):
    values = [ets_series(90, seed=1), ets_series(70, seed=2)]
    panel = _panel(values)
    models = StatisticalModels((name,))
    fitted = models.fit_forecast(panel, np.array([[60, 90], [50, 70]]), 7)
    assert fitted.shape == (2, 2, 2, 7)
    config, tensors = models.state()
    again = StatisticalModels.from_state(config, tensors, series=2)
    np.testing.assert_array_equal(again.forecast(panel, 7)[1], fitted[1, :, 1])  # last day: the run's forecast
    newer = _panel([np.r_[v, v[-7:]] for v in values])  # a week more: the fitted parameters apply
    np.testing.assert_array_equal(models.forecast(newer, 7), again.forecast(newer, 7))
    assert not np.allclose(models.forecast(newer, 7), fitted[:, :, 1])
    with pytest.raises(ModelLoadError, match=f"3 series but 2 fitted {name} models"):
        StatisticalModels.from_state(config, tensors, series=3)
    with pytest.raises(ModelLoadError, match="unknown statistical models"):
        StatisticalModels.from_state(config | {"names": ["prophet"]}, tensors, series=2)


def test_the_weekly_mstl_forward_is_statsforecasts_without_pandas():
    from viewcast.forecasting.models.statistical import SPECS as specs
    from viewcast.forecasting.models.statistical import forward

    y = ets_series(200, seed=9)
    model = specs["mstl"].build().fit(y)
    for days in (200, 120, 30):
        np.testing.assert_allclose(forward("mstl", model, y[:days], 14), model.forward(y=y[:days], h=14)["mean"], rtol=1e-12)
    assert model.stl_kwargs == {"seasonal_jump": 2, "trend_jump": 2}  # R's stl() jumps


def _yearly_series(days: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Views with a known yearly cycle (amplitude 300 on a level of 1,000), a trend, a weekly
    pattern and noise; returns the series and its true cycle over ``days + 60`` days."""
    t = np.arange(days + 60, dtype=float)
    cycle = 300 * np.sin(2 * np.pi * t / YEAR + 1.0) + 80 * np.cos(4 * np.pi * t / YEAR)
    week = np.array([0, 40, 60, 50, 30, -80, -100], dtype=float)[np.arange(days + 60) % 7]
    noise = np.random.default_rng(seed).normal(0, 25, days + 60)
    return (1000 + 0.2 * t + cycle + week + noise)[:days], cycle


def test_the_yearly_cycle_is_recovered_and_carried_ahead():
    y, truth = _yearly_series(730)
    inside, ahead = yearly_cycle(y, 60)
    assert inside.shape == (730,) and ahead.shape == (60,)
    # the fit is free to move a constant between the cycle and the level: compare the shapes
    fitted, true = np.r_[inside, ahead], truth - truth[:730].mean()
    fitted = fitted - inside.mean()
    assert np.abs(fitted - true).max() < 30  # a tenth of the amplitude, through the 60 days ahead
    short_inside, short_ahead = yearly_cycle(y[: YEARLY_MIN_DAYS - 1], 30)
    assert not short_inside.any() and not short_ahead.any()  # too short for a cycle: none


def test_the_yearly_member_follows_a_seasonal_turn_the_weekly_one_misses():
    y, _ = _yearly_series(760, seed=3)
    history, actual = y[:730], y[730:760]  # the cycle falls steeply over these 30 days
    out, states = run_series(SeriesTask(history, [730], 30, ("mstl", "mstl_yearly"), None))
    weekly, yearly = (np.abs(out[m, 0] - actual).mean() for m in (1, 2))
    assert yearly < 0.5 * weekly, (yearly, weekly)
    assert states[1]["yearly"] == {"harmonics": 3, "min_days": YEARLY_MIN_DAYS}  # saved with its state
    assert set(states[1]) - {"yearly"} == set(states[0])  # otherwise the same kind of state as MSTL's
    # below the minimum history it is the weekly MSTL forwarded from the same kind of fit
    short = history[-(YEARLY_MIN_DAYS - 1) :]
    out, _ = run_series(SeriesTask(short, [len(short)], 14, ("mstl", "mstl_yearly"), None))
    np.testing.assert_allclose(out[2, 0], out[1, 0])


def test_a_saved_yearly_member_forwards_with_the_settings_it_was_fitted_with():
    y, _ = _yearly_series(700, seed=4)
    panel = _panel([y])
    models = StatisticalModels(("mstl_yearly",))
    fitted = models.fit_forecast(panel, np.array([[700]]), 30)
    config, tensors = models.state()
    again = StatisticalModels.from_state(config, tensors, series=1)
    np.testing.assert_array_equal(again.forecast(panel, 30)[1], fitted[1, :, 0])
    fields = config["states"]["mstl_yearly"][0]["__dict__"]  # the codec's encoding of the state

    def with_yearly(settings):
        return {**config, "states": {"mstl_yearly": [{"__dict__": {**fields, "yearly": encode(settings, {}, "y")}}]}}

    other = StatisticalModels.from_state(with_yearly({"harmonics": 1, "min_days": 547}), tensors, series=1)
    assert not np.allclose(other.forecast(panel, 30)[1], fitted[1, :, 0])
    for bad in ({"harmonics": 3}, {"harmonics": 0, "min_days": 547}, "3"):
        broken = with_yearly(bad)
        with pytest.raises(ModelLoadError, match="a fitted mstl_yearly state has yearly settings"):
            StatisticalModels.from_state(broken, tensors, series=1)


def test_auto_takes_the_yearly_member_only_on_long_histories():
    config = ForecastConfig.parse(horizon=30, progress=False)
    long_panel = _panel([_yearly_series(760, seed=s)[0] for s in range(3)])
    plan, members, notes = plan_run(config, long_panel)
    assert "mstl_yearly" in members and not any("Yearly" in n for n in notes)
    short_panel = _panel([_yearly_series(450, seed=s)[0] for s in range(3)])
    plan, members, notes = plan_run(config, short_panel)
    earliest = 450 - plan.backtest[-1]
    assert earliest < YEARLY_MIN_DAYS and "mstl_yearly" not in members
    assert (
        f"Yearly MSTL left out: it needs {YEARLY_MIN_DAYS} days of history before the earliest backtest origin; the longest series has {earliest}."
        in notes
    )


def test_on_two_years_with_a_yearly_cycle_auto_leans_on_the_yearly_member(tmp_path):
    import pandas as pd

    import viewcast

    dates = pd.date_range("2022-01-01", periods=760, freq="D").strftime("%Y-%m-%d")
    frame = pd.concat([pd.DataFrame({"unique_id": f"c{i}", "ds": dates, "y": _yearly_series(760, seed=i)[0]}) for i in range(3)])
    result = viewcast.forecast(frame, horizon=30, by="creator", progress=False)
    weights = result.weights.set_index("series")
    assert (weights["leader"] == "mstl_yearly").all() and (weights["weight_mstl_yearly"] > 0.4).all()
    result.model.save(tmp_path / "model")
    again = viewcast.load_model(tmp_path / "model").predict({"history": frame, "horizon": 30})
    np.testing.assert_allclose([row["point"] for row in again["forecast"]], result.forecast["point"], rtol=1e-9)


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_a_stop_signal_waits_until_the_workers_are_forked_and_then_stops_them(monkeypatch):
    """A SIGTERM mid-fork once left a worker the pool did not know (the killed run hung on it)."""
    from viewcast import termination
    from viewcast.forecasting.models import statistical

    previous = signal.signal(signal.SIGTERM, termination.on_sigterm)
    monkeypatch.setattr(termination, "_requested", False)
    real_submit = statistical.ProcessPoolExecutor.submit

    def submit_and_get_killed(pool, *args, **kwargs):
        future = real_submit(pool, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives during the first submit, which forks
        return future

    monkeypatch.setattr(statistical.ProcessPoolExecutor, "submit", submit_and_get_killed)
    tasks = [SeriesTask(ets_series(40, seed=s), [40], 7, ("ets",), None) for s in range(4)]
    try:
        with pytest.raises(termination.Terminated):
            statistical.PendingTasks(tasks, jobs=2)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not multiprocessing.active_children()  # every worker was stopped before unwinding


def test_a_series_too_short_to_fit_falls_back_to_seasonal_naive():
    panel = _panel([ets_series(60, seed=1), ets_series(10, seed=2)])
    models = StatisticalModels(("ets",))
    out = models.fit_forecast(panel, np.array([[60], [10]]), 5)
    np.testing.assert_array_equal(out[1, 1, 0], out[0, 1, 0])
    assert models.failed() == {"ets": 1} and models.states["ets"][1] is None


def test_worker_processes_give_the_same_forecasts(monkeypatch):
    panel = _panel([ets_series(60, seed=s) for s in range(4)])
    lengths = np.array([[40, 60]] * 4)
    alone = StatisticalModels(("dot",)).fit_forecast(panel, lengths, 7)
    monkeypatch.setenv("VIEWCAST_JOBS", "2")
    from viewcast.forecasting.models.statistical import jobs_for

    assert jobs_for(1) == 2
    together = StatisticalModels(("dot",)).fit_forecast(panel, lengths, 7, jobs=jobs_for(1))
    np.testing.assert_array_equal(alone, together)


def test_jobs_variable_must_be_a_count(monkeypatch):
    from viewcast.forecasting.models.statistical import jobs_for

    monkeypatch.setenv("VIEWCAST_JOBS", "many")
    with pytest.raises(ConfigError, match="VIEWCAST_JOBS='many'"):
        jobs_for(10)


# --- LightGBM on numpy lag features ----------------------------------------------------------------
def test_lag_features_read_the_right_days():
    window = np.arange(LOOKBACK, dtype=float)[None]  # day t-28 .. t-1 hold 0 .. 27
    row = dict(zip(FEATURES, features(window, np.array([3]))[0]))
    assert row["lag1"] == 27 and row["lag7"] == 21 and row["lag28"] == 0
    assert row["mean7_lag1"] == np.mean(np.arange(21, 28)) and row["mean28_lag1"] == np.mean(np.arange(28))
    assert row["mean4_lag7"] == np.mean([18, 19, 20, 21]) and row["weekday"] == 3
    X, y = training_rows([np.arange(40.0), np.arange(20.0)], np.array([2, 0]))
    assert X.shape == (40 - LOOKBACK, len(FEATURES)) and y.tolist() == list(range(LOOKBACK, 40))
    assert X[0, FEATURES.index("weekday")] == (2 + LOOKBACK) % 7


def _weekly_panel(count: int = 6, days: int = 200):
    t = np.arange(days)
    rng = np.random.default_rng(0)
    values = [
        level * (1 + 0.3 * np.sin(2 * np.pi * t / 7)) + rng.normal(0, level * 0.02, days)
        for level in 10 ** np.linspace(2, 5, count)
    ]
    return _panel(values), values


def test_lightgbm_learns_one_weekly_pattern_for_series_of_any_size():
    panel, values = _weekly_panel()
    model = LightGBMForecaster(seed=0).fit(_panel([v[:-14] for v in values]))
    forecast = model.predict(_panel([v[:-14] for v in values]), 14)
    truth = np.stack([v[-14:] for v in values])
    relative = np.abs(forecast - truth).mean(axis=1) / truth.mean(axis=1)
    assert (relative < 0.08).all(), relative
    short = model.predict(_panel([values[0][:20], values[1]]), 3)
    assert np.isnan(short[0]).all() and np.isfinite(short[1]).all()  # a history shorter than the lookback


def test_lightgbm_is_saved_as_its_text_model_and_checked_on_load():
    panel, _ = _weekly_panel(days=100)
    model = LightGBMForecaster(seed=0).fit(panel)
    state, tensors = model.state()
    assert state["model"].startswith("tree") and tensors == {} and state["features"] == list(FEATURES)
    again = LightGBMForecaster.from_state(state, tensors, series=6)
    np.testing.assert_array_equal(again.predict(panel, 10), model.predict(panel, 10))
    with pytest.raises(ModelLoadError, match="LightGBM features"):
        LightGBMForecaster.from_state(state | {"features": list(FEATURES)[::-1]}, tensors, series=6)
    with pytest.raises(ModelLoadError, match="does not parse"):
        LightGBMForecaster.from_state(state | {"model": "tree\nnot a model"}, tensors, series=6)
    renamed = state["model"].replace("feature_names=lag1 ", "feature_names=views ")
    with pytest.raises(ModelLoadError, match="feature names differ"):
        LightGBMForecaster.from_state(state | {"model": renamed}, tensors, series=6)
    with pytest.raises(ValueError, match="training rows"):
        LightGBMForecaster().fit(_panel([np.arange(30.0)]))


# --- the study's LSTM, pinned -------------------------------------------------------------------
def test_recipe_defaults_are_the_studys():
    r = LSTMRecipe()
    assert (r.window, r.units, r.layers, r.dropout) == (10, 50, 2, 0.4)
    assert (r.train_fraction, r.learning_rate, r.batch_size, r.max_epochs) == (0.8, 1e-3, 8, 50)


def test_architecture_two_lstm_layers_of_50_dropout_04_dense_1():
    net = StudyLSTM()
    assert [(layer.input_size, layer.hidden_size, layer.num_layers) for layer in net.lstms] == [(1, 50, 1), (50, 50, 1)]
    assert [d.p for d in net.dropouts] == [0.4, 0.4]
    assert (net.head.in_features, net.head.out_features) == (50, 1)
    assert net(torch.zeros(3, 10, 1)).shape == (3, 1)
    forget = net.lstms[0].bias_ih_l0[50:100]
    assert torch.all(forget == 1.0)  # Keras' unit forget bias


def test_windowing_shapes_and_values():
    X, y = make_windows(np.arange(15.0), 10)
    assert X.shape == (5, 10) and y.shape == (5,)
    np.testing.assert_array_equal(X[0], np.arange(10.0))
    assert y[0] == 10 and y[-1] == 14
    np.testing.assert_array_equal(X[-1], np.arange(4.0, 14.0))
    assert make_windows(np.arange(10.0), 10)[0].shape == (0, 10)
    assert split_point(50, 0.8) == 40


def test_scaling_uses_training_part_only():
    rng = np.random.default_rng(0)
    base = rng.uniform(100, 200, 60)
    spiked = base.copy()
    spiked[50:] = 10_000  # test part only (split at 48)
    a = _quick(max_epochs=1).fit(_panel([base]))
    b = _quick(max_epochs=1).fit(_panel([spiked]))
    assert a.data_min_[0] == b.data_min_[0] == base[:48].min()
    assert a.data_max_[0] == b.data_max_[0] == base[:48].max()
    assert a.train_test_table_["train"]["windows"] == 38 and a.train_test_table_["test"]["windows"] == 12


def test_a_series_too_short_for_the_split_adds_no_windows_but_is_still_forecast():
    """The study's recipe trains on the series long enough for its split; a creator with 15 days
    (fewer than the recipe's 21) is scaled by all its days and forecast by the same network."""
    rng = np.random.default_rng(1)
    long, young = rng.uniform(100, 200, 60), rng.uniform(1000, 2000, 15)
    alone = _quick(max_epochs=1).fit(_panel([long]))
    both = _quick(max_epochs=1).fit(_panel([long, young]))
    for part, windows in (("train", 38), ("test", 12)):  # the same windows, all from the long series
        assert both.train_test_table_[part]["windows"] == alone.train_test_table_[part]["windows"] == windows
        assert both.train_test_table_[part]["mae"] == pytest.approx(alone.train_test_table_[part]["mae"], rel=1e-5)
    assert (both.data_min_[1], both.data_max_[1]) == (young.min(), young.max())
    assert "from 1 series (not the 1 shorter than 21 days)" in both.training_note_
    forecast = both.predict(_panel([long, young]), 5)
    np.testing.assert_allclose(forecast[0], alone.predict(_panel([long]), 5)[0], rtol=1e-5)
    assert np.isfinite(forecast[1]).all() and (forecast[1] > 500).all()  # on the young series' own scale
    with pytest.raises(ValueError, match="every series is shorter than the LSTM's 21 days"):
        _quick(max_epochs=1).fit(_panel([young]))


def test_early_stopping_restores_best_validation_epoch():
    t = np.arange(120.0)
    model = _quick(max_epochs=12, patience=3).fit(_panel([100 + 10 * np.sin(t / 3)]))
    history = model.history_
    best = history.best_epoch
    assert history.val_loss[best] == min(history.val_loss)
    table = model.train_test_table_["test"]
    span = model.data_max_[0] - model.data_min_[0]
    # the restored weights reproduce the best epoch's validation MSE (in scaled units)
    np.testing.assert_allclose(table["mse"] / span**2, history.val_loss[best], rtol=1e-4)


def test_lstm_forecasts_histories_of_its_series_from_their_own_scaling():
    values = [100 + 10 * np.sin(np.arange(60.0) / 2), 1000 + 100 * np.sin(np.arange(60.0) / 2)]
    model = _quick(max_epochs=2).fit(_panel(values))
    whole = model.predict(_panel(values), 4)
    prefixes = model.predict(_panel([values[1][:50], values[1]]), 4, rows=np.array([1, 1]))
    np.testing.assert_allclose(prefixes[1], whole[1])
    np.testing.assert_allclose(prefixes[0], model.predict(_panel([values[0], values[1][:50]]), 4)[1])
    assert np.isnan(model.predict(_panel([values[0][:5], values[1]]), 2)[0]).all()  # shorter than the window


def test_recursive_forecast_feeds_predictions_back():
    values = 100 + 10 * np.sin(np.arange(80.0) / 2)
    model = _quick().fit(_panel([values]))
    forecast = model.predict(_panel([values]), 5)[0]
    window = list((values[-10:] - model.data_min_[0]) / (model.data_max_[0] - model.data_min_[0]))
    manual = []
    for _ in range(5):
        with torch.no_grad():
            nxt = float(model.model_(torch.tensor(window[-10:], dtype=torch.float32)[None, :, None])[0, 0])
        manual.append(nxt)
        window.append(nxt)
    expected = np.array(manual) * (model.data_max_[0] - model.data_min_[0]) + model.data_min_[0]
    np.testing.assert_allclose(forecast, expected, rtol=1e-5)


def test_global_model_scales_each_series_and_learns():
    t = np.arange(200.0)
    small = 10 + 3 * np.sin(2 * np.pi * t / 7)
    large = 1e6 + 3e5 * np.sin(2 * np.pi * t / 7)
    model = LSTMForecaster(LSTMRecipe(max_epochs=30), seed=1, progress=False).fit(_panel([small, large]))
    assert model.data_max_[1] > 1e6 > model.data_max_[0]
    forecast = model.predict(_panel([small, large]), 7)
    future = 200 + np.arange(7)
    truth = np.stack([10 + 3 * np.sin(2 * np.pi * future / 7), 1e6 + 3e5 * np.sin(2 * np.pi * future / 7)])
    relative = np.abs(forecast - truth).mean(axis=1) / np.array([3, 3e5])
    assert (relative < 0.35).all(), relative  # learned the weekly wave for both scales


def test_same_seed_same_network_and_the_seed_is_the_forecasts():
    values = [100 + 10 * np.sin(np.arange(60.0) / 2)]
    config = ForecastConfig.parse(seed=5, lstm={"max_epochs": 2}, progress=False)
    first = LSTMForecaster.from_config(config).fit(_panel(values))
    again = LSTMForecaster.from_config(config).fit(_panel(values))
    assert first.seed == 5
    np.testing.assert_array_equal(first.predict(_panel(values), 3), again.predict(_panel(values), 3))


def test_lstm_state_is_checked_against_its_recipe():
    model = _quick(max_epochs=1).fit(_panel([ets_series(60)]))
    state, tensors = model.state()
    state["recipe"]["units"] = 32
    with pytest.raises(ModelLoadError, match="has shape"):
        LSTMForecaster.from_state(state, tensors, series=1)
    state, tensors = model.state()
    tensors["net.head.weight"] = np.full_like(tensors["net.head.weight"], np.inf)
    with pytest.raises(ModelLoadError, match="NaN or infinite"):
        LSTMForecaster.from_state(state, tensors, series=1)
    state, tensors = model.state()
    state["recipe"]["dropout"] = 2
    with pytest.raises(ModelLoadError, match="LSTM recipe is invalid"):
        LSTMForecaster.from_state(state, tensors, series=1)


def test_lstm_state_round_trip_forecasts_the_same():
    values = [ets_series(60, seed=1), ets_series(60, seed=2)]
    model = _quick().fit(_panel(values))
    state, tensors = model.state()
    again = LSTMForecaster.from_state(state, tensors, series=2)
    np.testing.assert_array_equal(model.predict(_panel(values), 7), again.predict(_panel(values), 7))
    with pytest.raises(ModelLoadError, match="model state does not fit"):
        LSTMForecaster.from_state(state, tensors, series=3)
