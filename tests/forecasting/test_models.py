"""The model pool: the study's LSTM recipe pinned, the statistical models, the ensemble, and the
state every model saves and restores."""

from __future__ import annotations

import typing

import numpy as np
import pytest
import torch

from viewcast.errors import ConfigError, ModelLoadError
from viewcast.forecasting.config import ForecastConfig, LSTMRecipe
from viewcast.forecasting.models import MODEL_NAMES, POOL, model_class
from viewcast.forecasting.models.base import Forecaster
from viewcast.forecasting.models.ensemble import Ensemble
from viewcast.forecasting.models.lstm import LSTMForecaster, StudyLSTM, make_windows, split_point
from viewcast.forecasting.models.statistical import ETS, SeasonalNaive
from viewcast.forecasting.panel import Panel
from viewcast.synth.series import ets_series


def _panel(values, ids=None):
    values = [np.asarray(v, float) for v in values]
    return Panel(ids or [f"s{i}" for i in range(len(values))], np.zeros(len(values), dtype=np.int64), values)


def _quick(max_epochs: int = 3, **recipe) -> LSTMForecaster:
    return LSTMForecaster(LSTMRecipe(max_epochs=max_epochs, **recipe), progress=False)


# --- the pool ---------------------------------------------------------------------------------
def test_every_pool_entry_is_a_forecaster_under_its_own_name():
    assert MODEL_NAMES == ("lstm", "seasonal_naive", "ets", "arima", "theta", "ensemble")
    for name in POOL:
        cls = model_class(name)
        assert issubclass(cls, Forecaster) and cls.name == name
    choices = typing.get_args(ForecastConfig.model_fields["model"].annotation)
    assert choices == ("auto", *MODEL_NAMES)  # the option accepts exactly the pool
    with pytest.raises(ValueError, match="unknown model 'prophet'"):
        model_class("prophet")


@pytest.mark.parametrize("name", ["seasonal_naive", "ets", "theta", "lstm"])
def test_state_round_trip_forecasts_the_same_on_old_and_new_history(name):
    values = [ets_series(60, seed=1), ets_series(60, seed=2)]
    panel = _panel(values)
    model = _quick() if name == "lstm" else model_class(name)()
    model.fit(panel)
    state, tensors = model.state()
    again = type(model).from_state(state, tensors, series=2)
    np.testing.assert_array_equal(model.predict(panel, 7), again.predict(panel, 7))
    newer = _panel([np.r_[v, v[-7:]] for v in values])  # a week more: the fitted parameters apply
    np.testing.assert_array_equal(model.predict(newer, 7), again.predict(newer, 7))
    assert model.predict(panel, 7).shape == (2, 7)
    with pytest.raises(ModelLoadError, match="model state does not fit"):
        type(model).from_state(state, tensors, series=3)


def test_statistical_state_refuses_another_models_state():
    state, tensors = SeasonalNaive().fit(_panel([ets_series(40)])).state()
    with pytest.raises(ModelLoadError, match="is for 'seasonal_naive', expected 'ets'"):
        ETS.from_state(state, tensors, series=1)
    state["kinds"] = ["Exec"]
    with pytest.raises(ModelLoadError, match="unexpected model type 'Exec'"):
        SeasonalNaive.from_state(state, tensors, series=1)


def test_seasonal_naive_repeats_the_last_week():
    week = np.array([1.0, 2, 3, 4, 5, 6, 7])
    forecast = SeasonalNaive().fit(_panel([np.tile(week, 3) * 10])).predict(_panel([np.tile(week, 3) * 10]), 10)
    np.testing.assert_array_equal(forecast[0], np.r_[week, week[:3]] * 10)


def test_ensemble_is_the_mean_of_its_members():
    panel = _panel([ets_series(90, seed=7)])
    fitted = Ensemble(("ets", "theta")).fit(panel)
    members = np.mean([model_class(m)().fit(panel).predict(panel, 5) for m in ("ets", "theta")], axis=0)
    np.testing.assert_allclose(fitted.predict(panel, 5), members)
    config = ForecastConfig()
    assert Ensemble.from_config(config).members == ("ets", "arima", "theta")
    assert Ensemble.from_config(config, skip=frozenset({"arima"})).members == ("ets", "theta")
    state, tensors = fitted.state()
    state["members"] = ["ets", "lstm"]
    with pytest.raises(ModelLoadError, match="unexpected ensemble members"):
        Ensemble.from_state(state, tensors, series=1)


def test_jobs_variable_must_be_a_count(monkeypatch):
    monkeypatch.setenv("VIEWCAST_JOBS", "many")
    with pytest.raises(ConfigError, match="VIEWCAST_JOBS='many'"):
        ETS().fit(_panel([ets_series(40)]))


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
