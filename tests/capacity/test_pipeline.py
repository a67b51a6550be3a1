"""``viewcast.capacity(data, **options)``, its files, its command and the plan inside a forecast."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

import viewcast.capacity as capacity
from viewcast.capacity.config import CapacityPlanConfig
from viewcast.cli.capacity import register
from viewcast.errors import ConfigError, OutputError

from .conftest import OPTIONS


def test_result_is_strict_json_and_the_forecasts_plan(result):
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    plan = payload["plan"]
    assert plan == json.loads(json.dumps(result.forecast.to_dict()["capacity_plan"]))
    assert len(plan["daily"]) == 14 and plan["lead_time_days"] == 3
    assert [d["within_lead_time"] for d in plan["daily"]][:4] == [True, True, True, False]
    for day in plan["daily"]:
        assert day["servers"] == day["reserved"] + day["on_demand"] and day["reserved"] == plan["reserved_servers"]
        assert day["planning_views"] >= day["point_views"] and 0 <= day["short_probability"] <= 1
    assert plan["expected_cost"] == pytest.approx(sum(d["expected_cost"] for d in plan["daily"]))
    assert plan["expected_cost"] <= plan["rule"]["expected_cost"]
    assert "Reserve" in plan["recommendation"] and "$" in plan["recommendation"]
    assert set(payload["plan_backtest"]["plans"]) == {"cost_plan", "hi95_rule", "point_plan", "oracle"}


def test_save_writes_the_tables_plots_and_report(result, tmp_path):
    result.save(tmp_path / "out")
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"plan.csv", "plan_backtest.csv", "metrics.json", "plan.png", "backtest.png", "report.html"} <= names
    report = (tmp_path / "out" / "report.html").read_text()
    assert "What the plans would have cost" in report and "oracle (perfect foresight)" in report
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError):
        result.save(tmp_path / "afile" / "sub")


def test_the_package_is_the_api_function_and_options_name_their_parameter(panel):
    with pytest.raises(ConfigError) as caught:
        capacity(panel, lead_time_days=-1)
    assert caught.value.param == "lead_time_days"
    with pytest.raises(ConfigError, match="unknown option"):
        CapacityPlanConfig.parse({"headroomm": 0.1})
    config = CapacityPlanConfig.parse(OPTIONS, lead_time_days=2)
    assert config.forecast_config().capacity.lead_time_days == 2 and config.forecast_config().horizon == 14


def test_a_fixed_service_level_is_the_planning_quantile(panel):
    result = capacity(panel, **OPTIONS, service_level=0.8, lead_time_days=0, backtest_windows=4)
    assert result.plan["planning_quantile"] == 0.8 and result.backtest.level == 0.8
    views = result.forecast.quantiles(0.8)[1]["bound"].to_numpy()
    assert np.allclose([d["planning_views"] for d in result.plan["daily"]], views)


def test_command_writes_the_folder_and_refuses_a_bad_target_first(tmp_path, panel):
    app = typer.Typer()
    register(app, typer.Typer())
    data = tmp_path / "views.csv"
    panel.to_csv(data, index=False)
    out = tmp_path / "out"
    args = ["--out", str(out), "--horizon", "14", "--model", "seasonal_naive", "--views-per-server-day", "10000"]
    done = CliRunner().invoke(app, [str(data), *args, "--lead-time-days", "2"])
    assert done.exit_code == 0, done.output
    assert "Replayed 84 days" in done.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["lead_time_days"] == 2 and metrics["config"]["reserved_cost_per_server_day"] == 30
    (tmp_path / "blocker").write_text("x")
    refused = CliRunner().invoke(app, [str(data), "--out", str(tmp_path / "blocker" / "sub")])
    assert isinstance(refused.exception, OutputError)
