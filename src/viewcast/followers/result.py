"""What ``run`` found, as strict JSON and as a folder of files (CSV, JSON, figures, one HTML report)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from viewcast.followers.config import STUDY_FIGURES, FollowersConfig
from viewcast.followers.model import FollowersModel
from viewcast.io.jsonable import to_jsonable
from viewcast.io.outputs import output_folder

OUTPUTS = (
    "coefficients.csv",
    "what_if.csv",
    "metrics.json",
    "residuals.png",
    "qq.png",
    "coefficients.png",
    "report.html",
)


@dataclass
class FollowersResult:
    """Everything ``run`` found; trailing-underscore fields feed the figures only."""

    config: FollowersConfig
    source: str
    coefficients: pd.DataFrame  # index: term (``const`` first); see docs/followers.md for columns
    metrics: dict[str, Any]
    scale_comparison: dict[str, dict]  # scale -> its CV figures
    aliases: list[dict]  # dropped aliased terms
    cleaning: dict[str, Any]
    drivers: dict[str, list[str]]  # "positive"/"negative" -> sentences
    notes: list[str]  # decisions taken: scale, aliases, standard errors
    warnings: list[str]
    what_if: pd.DataFrame  # length x levels -> expected new followers and 95% interval
    model: FollowersModel
    fitted_log_: np.ndarray
    residuals_log_: np.ndarray
    test_actual_log_: np.ndarray
    test_predicted_log_: np.ndarray
    summary_text_: str = ""  # statsmodels' own summary of the reported fit

    def to_dict(self) -> dict[str, Any]:
        """Strict-JSON summary (the content of ``metrics.json``)."""
        return to_jsonable(
            {
                "source": self.source,
                "metrics": self.metrics,
                "scale": {"chosen": self.metrics["scale"], "cv": self.scale_comparison},
                "aliases": self.aliases,
                "drivers": self.drivers,
                "notes": self.notes,
                "warnings": self.warnings,
                "coefficients": self.coefficients.reset_index().to_dict("records"),
                "what_if": self.what_if.to_dict("records"),
                "cleaning": self.cleaning,
                "model": self.model.describe(),
                "study": STUDY_FIGURES,
                "config": self.config.model_dump(),
            }
        )

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """Write the outputs into ``directory`` (whole or not at all); figures are embedded in the report."""
        from viewcast.followers import report

        with output_folder(directory, kind="followers") as out:
            out.csv("coefficients.csv", self.coefficients.reset_index())
            out.csv("what_if.csv", self.what_if)
            out.json("metrics.json", self.to_dict())
            images = {name: out.figure(f"{name}.png", figure) for name, figure in report.figures(self).items()}
            out.text("report.html", report.html(self, images))
        return Path(directory)
