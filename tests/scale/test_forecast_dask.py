"""A per-creator forecast on a Dask cluster gives the local run's numbers, exactly.

Only where the per-series statistical fits run changes (Dask workers instead of local worker
processes); each series is fitted in one partition with the same code, and the panel-wide steps
(LightGBM, weights, calibration, total) stay on the client, so the results are bit for bit equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import viewcast
from viewcast.compute import BackendError
from viewcast.forecasting.config import ForecastConfig
from viewcast.forecasting.members import DaskSeriesTasks, start_statistical
from viewcast.forecasting.models.statistical import StatisticalModels
from viewcast.forecasting.panel import aggregate
from viewcast.forecasting.pipeline import views_of
from viewcast.synth.series import count_panel, to_long


@pytest.fixture(scope="module")
def panel_frame() -> pd.DataFrame:
    """Twelve overdispersed count series of 200 days (enough for LightGBM and every member)."""
    return to_long(count_panel(series=12, days=200, seed=1))


@pytest.fixture(scope="module")
def local_run(panel_frame):
    return viewcast.forecast(panel_frame, by="creator", horizon=14, progress=False)


def _comparable(result) -> dict:
    return {k: v for k, v in result.to_dict().items() if k not in ("timings_seconds", "config")}


def test_a_dask_forecast_equals_the_local_one(panel_frame, local_run, dask_options, tmp_path):
    dask_run = viewcast.forecast(panel_frame, by="creator", horizon=14, progress=False, **dask_options)
    assert dask_run.config.backend == "dask" and local_run.config.backend == "local"
    assert set(local_run.backtest["members"]) == {"seasonal_naive", "ets", "dot", "mstl", "lgbm"}
    pd.testing.assert_frame_equal(dask_run.forecast, local_run.forecast, check_exact=True)
    pd.testing.assert_frame_equal(dask_run.outlook.total, local_run.outlook.total, check_exact=True)
    pd.testing.assert_frame_equal(dask_run.weights, local_run.weights, check_exact=True)
    assert _comparable(dask_run) == _comparable(local_run)
    for q in (0.01, 0.5, 0.99):
        for ours, theirs in zip(dask_run.quantiles(q), local_run.quantiles(q)):
            pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    # the fitted states are the same too: the saved model forecasts new history identically
    _, dask_tensors = dask_run.model.to_state()
    _, local_tensors = local_run.model.to_state()
    assert dask_tensors.keys() == local_tensors.keys()
    assert all(np.array_equal(dask_tensors[k], local_tensors[k], equal_nan=True) for k in local_tensors)
    # and so is the saved config: where the fit ran (the scheduler's address) is not part of the model
    dask_config, _ = dask_run.model.to_state()
    local_config, _ = local_run.model.to_state()
    assert dask_config == local_config
    assert not {"backend", "scheduler", "workers"} & set(dask_config["forecast_config"])


def test_each_series_is_fitted_in_exactly_one_partition(panel_frame, dask_config):
    config = ForecastConfig.parse(by="creator", backend="dask", scheduler=dask_config.scheduler, progress=False)
    panel = aggregate(views_of(panel_frame, config), "creator")
    starts = np.column_stack([panel.lengths // 2, panel.lengths])
    statistical = StatisticalModels(("dot",))
    pending = start_statistical(statistical, panel, starts, 7, config)
    assert isinstance(pending, DaskSeriesTasks)
    seen = sorted(i for part in pending.partitions for i in part)
    assert seen == list(range(len(panel)))
    dask_forecasts = statistical.finish_fit(pending)
    local = StatisticalModels(("dot",))
    assert np.array_equal(dask_forecasts, local.fit_forecast(panel, starts, 7), equal_nan=True)
    assert statistical.states.keys() == local.states.keys()


def test_an_unreachable_scheduler_stops_the_command_with_one_line(panel_frame, run_cli, tmp_path, quick_refusal):
    panel_frame.to_csv(tmp_path / "views.csv", index=False)
    code, out, err = run_cli(
        "forecast", tmp_path / "views.csv", "--by", "creator", "--out", tmp_path / "out",
        "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9",
    )  # fmt: skip
    assert code == BackendError.exit_code == 1
    assert err.count("\n") == 1 and "--scheduler" in err and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert not (tmp_path / "out").exists()


def test_a_backend_that_does_not_exist_is_refused_before_any_work(panel_frame, run_cli, tmp_path):
    panel_frame.to_csv(tmp_path / "views.csv", index=False)
    code, _, err = run_cli("forecast", tmp_path / "views.csv", "--out", tmp_path / "out", "--backend", "spark")
    assert code == 2 and "--backend" in err and err.count("\n") == 1
