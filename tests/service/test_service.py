"""The HTTP service in-process: same numbers as the Python API and the CLI, 4xx for bad requests."""

from __future__ import annotations

import gc
import importlib.util
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import viewcast
from viewcast.errors import ModelLoadError
from viewcast.io.persist import KEY_VARIABLE
from viewcast.service.app import create_app
from viewcast.service.settings import ServiceSettings
from viewcast.service.store import ModelStore

TESTS = Path(__file__).resolve().parent.parent
FIXTURES = TESTS / "fixtures"
SERVED = {
    "claims": "claims_model_default_v2",
    "planner": "followers_model",
    "views": "forecast_combination_model",
    "views_v2": "forecast_ensemble_model_v2",
    "popular": "popularity_model_v2",
}


def _case(name: str):
    spec = importlib.util.spec_from_file_location(f"service_case_{name}", TESTS / "contract" / f"case_{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CLAIMS, FOLLOWERS, FORECAST, POPULARITY = (_case(n) for n in ("claims", "followers", "forecast", "popularity"))


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("models")
    for name, folder in SERVED.items():
        shutil.copytree(FIXTURES / folder, root / name)
    return root


def _client(models_dir: Path, **settings) -> TestClient:
    return TestClient(create_app(ServiceSettings.parse(models=models_dir, **settings)))


@pytest.fixture(scope="module")
def client(models_dir):
    with _client(models_dir) as client:
        yield client


def test_health_readiness_and_model_listing(client, models_dir):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "models": len(SERVED)}
    listed = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    assert set(listed) == set(SERVED)
    assert {m["analysis"] for m in listed.values()} == {"claims", "followers", "forecast", "popularity"}
    manifest = json.loads((models_dir / "views" / "metadata.json").read_text())
    assert listed["views"]["sha256"] == manifest["sha256"]
    assert listed["views"]["viewcast_version"] == manifest["viewcast_version"]


def test_claims_answers_equal_the_python_api(client, models_dir):
    model = viewcast.load_model(models_dir / "claims")
    records = CLAIMS.REQUEST
    one = client.post("/v1/claims/claims/predict", json=records[0])
    assert one.status_code == 200 and one.json() == model.predict(records[0])
    batch = client.post("/v1/claims/claims/predict", json={"records": records})
    assert batch.status_code == 200 and batch.json() == {"predictions": model.predict(records)}


def test_followers_answers_equal_the_python_api(client, models_dir):
    model = viewcast.load_model(models_dir / "planner")
    planned = FOLLOWERS.PLANNED
    one = client.post("/v1/followers/planner/predict", json=planned[0])
    assert one.status_code == 200 and one.json() == model.predict(planned[0])
    batch = client.post("/v1/followers/planner/predict", json={"records": planned})
    assert batch.json() == {"predictions": model.predict(planned)}


@pytest.mark.parametrize("name", ["views", "views_v2"])
def test_forecast_with_a_saved_model_equals_the_cli(client, models_dir, tmp_path, run_cli, name):
    history = FORECAST._history() if name == "views_v2" else FORECAST._combination_history()
    answer = client.post("/v1/forecast", json={"model": name, "history": history.to_dict("records"), "horizon": 7})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    history.to_csv(tmp_path / "history.csv", index=False)
    code, _, err = run_cli(
        "forecast", tmp_path / "history.csv", "--load-model", models_dir / name, "--horizon", "7", "--out", tmp_path / "out"
    )
    assert code == 0, err
    cli = pd.read_csv(tmp_path / "out" / "forecast.csv")
    served = pd.DataFrame(body["forecast"])
    pd.testing.assert_frame_equal(served[cli.columns].reset_index(drop=True), cli, check_dtype=False, rtol=1e-9)
    assert (
        body["capacity_plan"]["peak_servers"]
        == json.loads((tmp_path / "out" / "metrics.json").read_text())["capacity_plan"]["peak_servers"]
    )


def test_forecast_fitted_on_the_fly_equals_viewcast_forecast(client):
    history = FORECAST._history()
    answer = client.post("/v1/forecast", json={"history": history.to_dict("records"), "horizon": 7, "by": "creator"})
    assert answer.status_code == 200, answer.text
    expected = viewcast.forecast(history, horizon=7, by="creator", progress=False)
    served = pd.DataFrame(answer.json()["forecast"])
    pd.testing.assert_frame_equal(served, expected.forecast.reset_index(drop=True), check_dtype=False, rtol=1e-9)
    assert answer.json()["model"] == expected.chosen


def test_popularity_top_equals_the_python_api(client, models_dir):
    request = POPULARITY.FIXTURES[SERVED["popular"]]
    model = viewcast.load_model(models_dir / "popular")
    answer = client.post("/v1/popularity/popular/top", json=request)
    assert answer.status_code == 200, answer.text
    assert answer.json() == json.loads(json.dumps(model.predict(request)))


@pytest.mark.parametrize(
    "path, body, where",
    [
        (
            "/v1/claims/claims/predict",
            {**CLAIMS.REQUEST[0], "video_view_count": "many"},
            ["body", "VideoRecord", "video_view_count"],
        ),
        ("/v1/claims/claims/predict", {**CLAIMS.REQUEST[0], "video_view_count": -1}, ["body", "VideoRecord", "video_view_count"]),
        ("/v1/claims/claims/predict", {"records": []}, ["body", "VideoBatch", "records"]),
        ("/v1/followers/planner/predict", {**FOLLOWERS.PLANNED[0], "length": -3}, ["body", "PlannedVideo", "length"]),
        ("/v1/forecast", {"model": "views", "history": [], "horizon": 7}, ["body", "SavedModelForecast", "history"]),
        (
            "/v1/forecast",
            {"model": "views", "history": [{"unique_id": "a", "ds": 1, "y": 1}], "horizon": 0},
            ["body", "SavedModelForecast", "horizon"],
        ),
        (
            "/v1/forecast",
            {"model": "views", "history": [{"unique_id": "a", "ds": 1, "y": 1e300}]},
            ["body", "SavedModelForecast", "history", 0, "y"],
        ),
    ],
)
def test_bad_requests_are_422_with_the_field_path(client, path, body, where):
    answer = client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    locs = [problem["loc"] for problem in answer.json()["detail"]]
    assert any(loc[: len(where)] == where for loc in locs), locs


def test_data_the_model_refuses_is_422_naming_the_field(client):
    history = [{"unique_id": "zz", "ds": d, "y": 5.0} for d in range(1, 40)]
    answer = client.post("/v1/forecast", json={"model": "views", "history": history})
    assert answer.status_code == 422
    problem = answer.json()["detail"][0]
    assert "fitted to series" in problem["msg"]


def test_batch_cap_unknown_models_and_wrong_analysis(client):
    too_many = {"records": [CLAIMS.REQUEST[0]] * 10_001}
    assert client.post("/v1/claims/claims/predict", json=too_many).status_code in (413, 422)
    missing = client.post("/v1/claims/nosuch/predict", json=CLAIMS.REQUEST[0])
    assert missing.status_code == 404 and "no claims model named 'nosuch'" in missing.json()["detail"]
    assert client.post("/v1/claims/planner/predict", json=CLAIMS.REQUEST[0]).status_code == 404
    assert (
        client.post("/v1/forecast", json={"model": "claims", "history": [{"unique_id": "a", "ds": 1, "y": 1}]}).status_code == 404
    )


def test_fitting_on_the_fly_is_capped(models_dir):
    with _client(models_dir, max_fit_series=1) as client:
        answer = client.post("/v1/forecast", json={"history": FORECAST._history().to_dict("records")})
    assert answer.status_code == 422 and "at most 1 series" in answer.json()["detail"][0]["msg"]


def test_the_fit_cap_counts_the_days_gap_filling_would_add(client):
    """Two rows a century apart are 36,500 days to fit, not two rows: refused before any work."""
    history = [{"unique_id": "a", "ds": "1924-01-01", "y": 5}, {"unique_id": "a", "ds": "2023-12-31", "y": 6}]
    answer = client.post("/v1/forecast", json={"history": history})
    assert answer.status_code == 422
    assert "(got 1 and 36,525, missing days counted" in answer.json()["detail"][0]["msg"]


def test_start_up_freezes_what_it_loaded_out_of_garbage_collection(models_dir):
    """Full collections walking the loaded libraries and models paused batch requests for 200 ms."""
    with _client(models_dir) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0  # shut down: nothing stays frozen in the process


def test_body_above_the_limit_is_413(models_dir):
    with _client(models_dir, max_body_size=2048) as client:
        answer = client.post("/v1/claims/claims/predict", json={"records": CLAIMS.REQUEST * 20})
    assert answer.status_code == 413


def test_api_key_guards_every_v1_route(models_dir):
    with _client(models_dir, api_key="k3y") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/v1/models").status_code == 401
        assert client.get("/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/v1/models", headers={"Authorization": "Bearer k3y"}).status_code == 200
        assert client.get("/v1/models", headers={"X-API-Key": "k3y"}).status_code == 200
        assert client.post("/v1/claims/claims/predict", json=CLAIMS.REQUEST[0]).status_code == 401


def test_a_bad_model_folder_stops_start_up(models_dir, tmp_path, refused):
    broken = tmp_path / "models"
    shutil.copytree(models_dir, broken)
    (broken / "claims" / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="checksum"):
        ModelStore.load(broken)
    refused("serve", "--models", broken, match=r"claims.*checksum mismatch")


def test_with_a_model_key_unsigned_folders_stop_start_up(models_dir, monkeypatch, refused):
    monkeypatch.setenv(KEY_VARIABLE, "service-key")
    refused("serve", "--models", models_dir, match="not signed")
