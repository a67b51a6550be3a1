"""Scoring a folder of claims tables on a Dask cluster: the local run's predictions, in file order."""

from __future__ import annotations

import pandas as pd
import pytest

from viewcast.claims.pipeline import predict_table
from viewcast.compute import BackendConfig
from viewcast.errors import ConfigError, DataValidationError
from viewcast.io.registry import load_model
from viewcast.synth.claims import write_claims


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A trained default model, and its training table split into a folder of CSV and Parquet files."""
    from viewcast.cli.app import run

    root = tmp_path_factory.mktemp("claims_batch")
    write_claims(root / "videos.csv", n=400, seed=5)
    assert run(["claims", "train", str(root / "videos.csv"), "--out", str(root / "model")]) == 0
    table = pd.read_csv(root / "videos.csv").drop(columns=["claim_status"])
    folder = root / "batch"
    folder.mkdir()
    for k, start in enumerate(range(0, 400, 70)):
        part = table.iloc[start : start + 70]
        if k % 2:
            part.to_parquet(folder / f"part-{k:02d}.parquet", index=False)
        else:
            part.to_csv(folder / f"part-{k:02d}.csv", index=False)
    (folder / "notes.txt").write_text("not a table")
    (folder / ".hidden.csv").write_text("not read")
    return root


def test_a_folder_scored_on_dask_equals_the_local_run(batch, dask_config):
    model = load_model(batch / "model")
    local = predict_table(model, batch / "batch").table
    dask = predict_table(model, batch / "batch", dask_config).table
    pd.testing.assert_frame_equal(dask, local, check_exact=True)
    assert len(local) == 400
    whole = predict_table(model, batch / "videos.csv").table  # the same rows scored as one table
    assert local["label"].tolist() == whole["label"].tolist()
    assert local["probability"].to_numpy() == pytest.approx(whole["probability"].to_numpy(), abs=1e-12)


def test_the_command_writes_the_same_file_on_both_backends(batch, dask_options, run_cli, tmp_path):
    args = ("claims", "predict", batch / "model", "--input", batch / "batch", "--output")
    assert run_cli(*args, tmp_path / "local.csv")[0] == 0
    code, out, _ = run_cli(*args, tmp_path / "dask.csv", "--backend", "dask", "--scheduler", dask_options["scheduler"])
    assert code == 0 and "400 videos" in out
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def test_a_bad_file_is_named_by_the_worker_error(batch, dask_config, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    pd.read_csv(batch / "batch" / "part-00.csv").to_csv(folder / "a.csv", index=False)
    (folder / "b.csv").write_text("just,two\n1,2\n")
    with pytest.raises(DataValidationError, match="b.csv"):
        predict_table(load_model(batch / "model"), folder, dask_config)


def test_a_model_without_a_folder_cannot_go_to_workers_and_an_empty_folder_is_refused(batch, dask_config, tmp_path):
    model = load_model(batch / "model")
    del model.path_
    with pytest.raises(ConfigError, match="save the model") as info:
        predict_table(model, batch / "batch", dask_config)
    assert info.value.param == "backend"
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataValidationError, match="no tables in the folder"):
        predict_table(model, tmp_path / "empty", BackendConfig())
