"""What a popularity run (or sweep) found, as strict JSON and as a folder written whole.

A run's folder: ``metrics.json`` (everything of :meth:`PopularityResult.to_dict`), ``replay.csv``
(hit ratio per cache policy and size), ``predictions.parquet`` (per test slot: the model's top
candidates and every requested one, with the baselines' shares), ``report.html`` with its
figures, and ``model/`` (the serving model: network, settings and feature state).
A sweep's folder: ``results.csv`` (one row per run, best first), ``runs.json``, ``report.html``
and ``best/`` (the best run's folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from viewcast.io.jsonable import to_jsonable
from viewcast.io.outputs import output_folder
from viewcast.nn import TrainHistory
from viewcast.popularity.config import PopularityConfig
from viewcast.popularity.evaluation import METRICS, SELECTION_METRIC
from viewcast.popularity.model import PopularityModel


@dataclass
class PopularityResult:
    """One trained model, judged on the test slots as a ranking and as a cache."""

    config: PopularityConfig
    data: dict[str, Any]  # the log: preparation summary, items, slots
    metrics: dict[str, Any]  # model / baselines / oracle on the test slots, validation, history, split
    replay: dict[str, Any] | None  # catalogue, warm-up and measured requests, one row per policy x size
    predictions: pd.DataFrame
    history: TrainHistory
    model: PopularityModel
    seconds: float

    def replay_table(self) -> pd.DataFrame:
        """Hit ratio per policy (rows) and cache size (columns, as fractions of the catalogue)."""
        if not self.replay:
            return pd.DataFrame()
        rows = pd.DataFrame(self.replay["rows"])
        return rows.pivot_table(index="policy", columns="size_fraction", values="hit_ratio", sort=False, dropna=False)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "data": self.data,
                "metrics": self.metrics,
                "replay": self.replay,
                "config": self.config.model_dump(),
                "seconds": round(self.seconds, 2),
            }
        )

    def save(self, directory: str | os.PathLike[str]) -> Path:
        from viewcast.popularity.report import write_run_report

        with output_folder(directory, kind="popularity") as out:
            out.json("metrics.json", self.to_dict())
            if self.replay:
                out.csv("replay.csv", pd.DataFrame(self.replay["rows"]))
            out.parquet("predictions.parquet", self.predictions)
            write_run_report(out, self)
            self.model.save(out.file("model"), param=None)
        return Path(directory)


@dataclass
class SweepResult:
    """A grid of runs, ranked by validation hit@50 (the test slots play no part in the choice)."""

    runs: list[PopularityResult]
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
        return pd.DataFrame(rows).sort_values([f"val_{SELECTION_METRIC}", "val_rmse"], ascending=[False, True], kind="stable")

    @property
    def best(self) -> PopularityResult:
        return self.runs[int(self.table["run"].iloc[0])]

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "varied": self.varied,
                "ranking": self.table.to_dict("records"),
                "best_run": int(self.table["run"].iloc[0]),
                "runs": [run.to_dict() for run in self.runs],
            }
        )

    def save(self, directory: str | os.PathLike[str]) -> Path:
        from viewcast.popularity.report import write_sweep_report

        with output_folder(directory, kind="popularity-sweep") as out:
            out.csv("results.csv", self.table)
            out.json("runs.json", self.to_dict())
            write_sweep_report(out, self)
            self.best.save(out.file("best"))
        return Path(directory)
