"""Backtest plan and routine, metrics, the selection rule, candidate models and conformal intervals."""

from __future__ import annotations

import numpy as np
import pytest

from viewcast.errors import DataValidationError, ModelLoadError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.evaluation.backtest import BacktestPlan, BacktestResult, ModelBacktest, plan_backtest, run_backtest
from viewcast.forecasting.evaluation.intervals import Calibration, bands, calibrate
from viewcast.forecasting.evaluation.metrics import mase, seasonal_scale, smape
from viewcast.forecasting.evaluation.selection import LARGE_PANEL, candidates, one_standard_error
from viewcast.forecasting.models import model_class
from viewcast.forecasting.models.ensemble import Ensemble
from viewcast.forecasting.panel import Panel
from viewcast.synth.series import ar2_series, ets_series


def _panel(values):
    return Panel([f"s{i}" for i in range(len(values))], np.zeros(len(values), dtype=np.int64), list(values))


def _stats(*names):
    return [model_class(n)() for n in names]


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
    assert seasonal_scale(np.zeros(30)) == 1.0  # never zero: MASE stays finite


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


def test_saved_calibration_is_checked():
    good = calibrate(np.ones((2, 2, 5)), np.zeros((2, 2, 5)), np.ones((2, 2))).to_dict()
    assert Calibration.from_dict(good).to_dict() == good
    for change, message in (
        ({"growth_a": float("nan")}, "growth profile"),
        ({"growth_b": 3.0}, "growth profile"),
        ({"quantiles": {"80": [1, 2]}}, "cover levels"),
        ({"quantiles": {"80": [1, 2], "95": [0, float("inf")]}}, "non-finite"),
        ({"scores": 0}, "no backtest errors"),
    ):
        with pytest.raises(ModelLoadError, match=message):
            Calibration.from_dict(good | change)


def test_backtest_picks_arima_on_ar2_data():
    panel = _panel([ar2_series(200, seed=i) for i in range(2)])
    result = run_backtest(panel, _stats("seasonal_naive", "ets", "theta", "arima"), horizon=7, max_windows=4, progress=False)
    metrics = {k: v.metrics["mase"] for k, v in result.models.items()}
    assert result.ranking()[0] == "arima", metrics
    assert one_standard_error(result)[0] == "arima"  # clearly best: the one-standard-error rule keeps it
    assert metrics["arima"] < 0.8 * min(v for k, v in metrics.items() if k != "arima")


def test_backtest_ets_beats_seasonal_naive_on_ets_data():
    panel = _panel([ets_series(300, seed=s) for s in (1, 2)])
    result = run_backtest(panel, _stats("seasonal_naive", "ets"), horizon=30, max_windows=3, progress=False)
    assert result.models["ets"].metrics["mase"] < 0.9 * result.models["seasonal_naive"].metrics["mase"]
    assert result.series_ids == ["s0", "s1"] and result.actual.shape == (2, 3, 30)


def test_a_combination_is_scored_from_its_members_backtests():
    panel = _panel([ets_series(150, seed=7)])
    pool = [*_stats("ets", "theta"), Ensemble(("ets", "theta"))]
    result = run_backtest(panel, pool, horizon=14, max_windows=2, progress=False)
    assert list(result.models) == ["ets", "theta", "ensemble"]
    members = np.mean([result.models[m].forecast for m in ("ets", "theta")], axis=0)
    np.testing.assert_allclose(result.models["ensemble"].forecast, members)
    assert result.models["ensemble"].seconds == pytest.approx(result.models["ets"].seconds + result.models["theta"].seconds)


def test_large_panels_backtest_a_seeded_sample():
    panel = _panel([ets_series(40, seed=s) for s in range(12)])
    result = run_backtest(panel, _stats("seasonal_naive"), horizon=7, max_series=5, seed=3, progress=False)
    again = run_backtest(panel, _stats("seasonal_naive"), horizon=7, max_series=5, seed=3, progress=False)
    assert len(result.series_index) == 5 and result.series_index.tolist() == again.series_index.tolist()
    assert (result.plan.series_used, result.plan.series_total) == (5, 12)
    assert "random sample of 5 of 12 series (seed 3)" in result.plan.notes[-1]


def test_one_standard_error_rule_prefers_the_stable_model_among_near_ties():
    actual = np.ones((1, 4, 1)) * 10
    scale = np.ones((1, 4))

    def model(errors):
        forecast = actual + np.array(errors, float).reshape(1, 4, 1)
        return ModelBacktest(forecast, {"mase": float(np.mean(np.abs(errors)))}, 0.0)

    plan = BacktestPlan(1, 4, 1, 10, 1, 1)
    near = BacktestResult(plan, actual, scale, np.arange(1), {"lstm": model([1, 3, 1, 3]), "theta": model([2, 2, 2, 2.5])}, scale)
    assert near.ranking()[0] == "lstm"
    chosen, reason = one_standard_error(near)
    assert chosen == "theta" and "one standard error" in reason
    clear = BacktestResult(
        plan, actual, scale, np.arange(1), {"lstm": model([1, 1, 1, 1.1]), "theta": model([3, 3, 3, 3])}, scale
    )
    assert one_standard_error(clear)[0] == "lstm"


def test_auto_candidates_follow_the_history_and_the_panel_size():
    config = ForecastConfig()
    names = lambda models: [m.name for m in models]  # noqa: E731
    models, notes = candidates(config, shortest=50, n_series=1)
    assert names(models) == ["lstm", "seasonal_naive", "ets", "arima", "theta", "ensemble"] and notes == []
    models, notes = candidates(config, shortest=22, n_series=1)  # LSTM needs 27, ETS/ARIMA/Theta 23
    assert names(models) == ["seasonal_naive"]
    assert any(n.startswith("lstm left out: needs 27 days") for n in notes)
    models, notes = candidates(config, shortest=400, n_series=LARGE_PANEL + 1)
    assert "arima" not in names(models) and models[-1].members == ("ets", "theta")
    assert "AutoARIMA left out" in notes[0]
    with pytest.raises(DataValidationError, match="at least 15 are needed"):
        candidates(config, shortest=14, n_series=1)


def test_requested_models_compete_with_the_benchmark_only():
    names = lambda config: [m.name for m in candidates(config, 100, 500)[0]]  # noqa: E731
    assert names(ForecastConfig(model="theta")) == ["theta", "seasonal_naive"]
    assert names(ForecastConfig(model="seasonal_naive")) == ["seasonal_naive"]
    assert names(ForecastConfig(model="ensemble")) == ["ets", "arima", "theta", "seasonal_naive", "ensemble"]
    with pytest.raises(DataValidationError, match="history too short for model lstm") as caught:
        candidates(ForecastConfig(model="lstm"), 12, 1)
    assert caught.value.param == "model"
