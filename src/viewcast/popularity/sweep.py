"""A grid of runs over cells, hyper-parameters, optimizers and losses, ranked and reported.

The study tried LSTM, GRU and CNN+RNN models over hyper-parameters, optimizers and losses; this
runs that grid from a TOML file. Runs that share data settings (window, windows, sampling, split)
share one feature pass. Runs are ranked by validation ``hit@50`` (the test slots stay unseen by
the choice); the report shows test metrics next to the baselines and the oracle.

Config format::

    prepared = "prepared-weekly"      # folder from 'viewcast popularity prepare' (relative to this file)
    [fixed]                           # settings shared by every run
    max_epochs = 10
    [grid]                            # every combination of these lists is one run
    cell = ["lstm", "gru", "rnn", "cnn_lstm"]
    loss = ["cross_entropy", "mse"]
"""

from __future__ import annotations

import itertools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from viewcast.atomic import write_csv, write_json
from viewcast.errors import DataValidationError
from viewcast.popularity.evaluate import METRICS
from viewcast.popularity.options import describe_validation_error
from viewcast.popularity.train import PopularityConfig, PopularityRun, build_dataset, train_popularity
from viewcast.progress import progress_bar


class SweepConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prepared: str | None = None
    fixed: dict[str, Any] = {}
    grid: dict[str, list[Any]] = {}


def load_sweep_config(path: str | os.PathLike[str]) -> tuple[SweepConfig, list[PopularityConfig]]:
    """Parse and validate the TOML file and every run it describes, before anything is trained."""
    path = Path(path)
    if not path.is_file():
        raise DataValidationError(f"{path}: sweep config not found")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        config = SweepConfig(**raw)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: not valid TOML ({exc})") from None
    except ValidationError as exc:
        raise DataValidationError(f"{path}: {describe_validation_error(exc)}") from None
    if config.prepared is not None and not Path(config.prepared).is_absolute():
        config.prepared = str((path.parent / config.prepared).resolve())
    return config, expand(config, path)


def expand(config: SweepConfig, source: str | os.PathLike[str] = "sweep") -> list[PopularityConfig]:
    names = list(config.grid)
    runs = []
    for values in itertools.product(*(config.grid[n] for n in names)):
        settings = {**config.fixed, **dict(zip(names, values))}
        try:
            runs.append(PopularityConfig(**settings))
        except ValidationError as exc:
            raise DataValidationError(f"{source}: run {settings}: {describe_validation_error(exc)}") from None
    if not runs:
        raise DataValidationError(f"{source}: the grid describes no runs")
    return runs


@dataclass
class SweepResult:
    runs: list[PopularityRun]
    varied: list[str]

    @property
    def table(self) -> pd.DataFrame:
        """One row per run: its varied settings, validation and test metrics; best first."""
        rows = []
        for i, run in enumerate(self.runs):
            row: dict[str, Any] = {"run": i}
            row.update({name: getattr(run.config, name) for name in self.varied})
            row.update({f"val_{m}": run.metrics["validation"]["model"][m] for m in METRICS})
            row.update({f"test_{m}": run.metrics["model"][m] for m in METRICS})
            row["best_epoch"] = run.history.best_epoch
            row["seconds"] = round(run.seconds, 2)
            rows.append(row)
        return pd.DataFrame(rows).sort_values(["val_hit@50", "val_rmse"], ascending=[False, True], kind="stable")

    @property
    def best(self) -> PopularityRun:
        return self.runs[int(self.table["run"].iloc[0])]

    def save(self, out: str | os.PathLike[str]) -> Path:
        from viewcast.popularity.report import write_sweep_report

        out = Path(out)
        table = self.table
        write_csv(out / "results.csv", table)
        for i, run in enumerate(self.runs):
            write_json(out / "runs" / f"run-{i:03d}" / "metrics.json", run.metrics)
        self.best.save(out / "best")
        write_sweep_report(out / "report.html", self, out / "figures")
        return out


def run_sweep(counts: pd.DataFrame, runs: list[PopularityConfig], progress: bool = True) -> SweepResult:
    """Train every run (one feature pass per distinct data setting)."""
    datasets: dict[str, Any] = {}
    results = []
    with progress_bar("popularity sweep", total=len(runs), enabled=progress) as advance:
        for config in runs:
            key = config.dataset().model_dump_json()
            if key not in datasets:
                datasets[key] = build_dataset(counts, config.dataset())
            results.append(train_popularity(datasets[key], config, progress=False))
            advance()
    defaults = PopularityConfig().model_dump()
    dumps = [r.config.model_dump() for r in results]
    varied = [name for name in defaults if len({repr(d[name]) for d in dumps}) > 1] or ["cell"]
    return SweepResult(results, varied)
