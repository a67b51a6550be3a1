"""The study's LSTM recipe, pinned: architecture, windowing, split, scaling, early stopping, recursion."""

from __future__ import annotations

import numpy as np
import torch

from viewcast.forecasting.lstm import LSTMForecaster, LSTMRecipe, StudyLSTM, make_windows, split_point
from viewcast.forecasting.panel import Panel


def _panel(values, ids=None):
    values = [np.asarray(v, float) for v in values]
    return Panel(ids or [f"s{i}" for i in range(len(values))], np.zeros(len(values), dtype=np.int64), values)


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


def _quick(**kw):
    return LSTMForecaster(LSTMRecipe(max_epochs=kw.pop("max_epochs", 3), **kw), progress=False)


def test_scaling_uses_training_part_only():
    rng = np.random.default_rng(0)
    base = rng.uniform(100, 200, 60)
    spiked = base.copy()
    spiked[50:] = 10_000  # test part only (split at 48)
    a = _quick().fit(_panel([base]))
    b = _quick().fit(_panel([spiked]))
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
    model = LSTMForecaster(LSTMRecipe(max_epochs=30, seed=1), progress=False).fit(_panel([small, large]))
    assert model.data_max_[1] > 1e6 > model.data_max_[0]
    forecast = model.predict(_panel([small, large]), 7)
    truth = np.stack(
        [10 + 3 * np.sin(2 * np.pi * (200 + np.arange(7)) / 7), 1e6 + 3e5 * np.sin(2 * np.pi * (200 + np.arange(7)) / 7)]
    )
    relative = np.abs(forecast - truth).mean(axis=1) / np.array([3, 3e5])
    assert (relative < 0.35).all(), relative  # learned the weekly wave for both scales


def test_state_round_trip_gives_same_forecast():
    values = 100 + 10 * np.sin(np.arange(60.0) / 2)
    model = _quick().fit(_panel([values]))
    config, tensors = model.state()
    again = LSTMForecaster.from_state(config, tensors)
    np.testing.assert_array_equal(model.predict(_panel([values]), 7), again.predict(_panel([values]), 7))
