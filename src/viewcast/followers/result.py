"""The fitted analysis and the files it writes (CSV, JSON, three figures, one HTML report)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from viewcast.followers.config import STUDY_FIGURES, FollowersConfig

OUTPUTS = ("coefficients.csv", "metrics.json", "residuals.png", "qq.png", "coefficients.png", "report.html")


@dataclass
class FollowersResult:
    """Everything ``analyse`` found; trailing-underscore fields are the fitted objects behind it."""

    config: FollowersConfig
    source: str
    coefficients: pd.DataFrame  # index: term (``const`` first); see docs/followers.md for columns
    metrics: dict[str, Any]
    cleaning: dict[str, Any]
    drivers: dict[str, list[str]]
    warnings: list[str]
    results_: Any  # statsmodels RegressionResults on the standardised training design
    design_: pd.DataFrame  # that design: ``const`` + standardised predictors
    target_: pd.Series  # log1p(target) of the training rows
    test_actual_log_: np.ndarray
    test_predicted_log_: np.ndarray

    def summary(self) -> dict[str, Any]:
        """The JSON document of ``metrics.json``."""
        return {
            "source": self.source,
            "metrics": self.metrics,
            "study": STUDY_FIGURES,
            "cleaning": self.cleaning,
            "drivers": self.drivers,
            "warnings": self.warnings,
            "config": self.config.model_dump(),
        }

    def save(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Write the outputs into ``out_dir``; figures are drawn once and embedded in the report."""
        from viewcast.atomic import save_figure, write_csv, write_json
        from viewcast.followers import plots
        from viewcast.report.html import embed_png, write_report

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_csv(out / "coefficients.csv", self.coefficients.reset_index())
        write_json(out / "metrics.json", self.summary())
        resid = np.asarray(self.results_.resid, float)
        save_figure(
            out / "residuals.png",
            plots.residuals_figure(
                np.asarray(self.results_.fittedvalues, float), resid, self.test_predicted_log_, self.test_actual_log_
            ),
        )
        save_figure(out / "qq.png", plots.qq_figure(resid))
        save_figure(out / "coefficients.png", plots.coefficients_figure(self.coefficients, 1 - self.config.alpha))
        write_report(
            out / "report.html",
            "followers.html",
            result=self,
            study=STUDY_FIGURES,
            summary_text=str(self.results_.summary()),
            rows=self.coefficients.reset_index().to_dict("records"),
            images={name: embed_png(out / f"{name}.png") for name in ("residuals", "qq", "coefficients")},
        )
        return [out / name for name in OUTPUTS]
