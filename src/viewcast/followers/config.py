"""Settings of the follower-drivers regression (one pydantic model shared by CLI and API)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Strategy = Literal["mean", "median", "mode", "drop", "none"]

#: The study's treatment of zeros that mean "not recorded".
STUDY_MISSING_ZERO: dict[str, Strategy] = {"newFollowers": "mode", "watchedFullVideo": "mean"}
#: Columns of the study's schema that count things and can never be negative.
NON_NEGATIVE = frozenset(
    c.lower()
    for c in (
        "length", "views", "likes", "comments", "shares", "saves", "avgWatchTime",
        "watchedFullVideo", "newFollowers", "forYouPct", "totalPlayTime",
    )
)  # fmt: skip
#: The study's reported figures, shown beside ours.
STUDY_FIGURES = {"r2": 0.746, "test_rmse_log": 0.466, "rows": 194, "columns": 14}


class FollowersConfig(BaseModel):
    """What to model and how to clean it; defaults reproduce the study.

    ``missing_zero`` holds the user's strategies per column and overrides the study's defaults
    (``STUDY_MISSING_ZERO``, applied to those of its columns that the data has, unless
    ``study_missing_zero`` is false). ``none`` means "zeros are real values".
    """

    model_config = ConfigDict(extra="forbid")

    target: str = "newFollowers"
    column_map: dict[str, str] = Field(default_factory=dict, description="rename old -> new before anything else")
    ignore: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=lambda: ["category", "subject"])
    date_column: str = "date"
    min_level_count: int = Field(5, ge=0, description="levels seen this often or less are dropped with their rows")
    missing_zero: dict[str, Strategy] = Field(default_factory=dict)
    study_missing_zero: bool = True
    test_size: float = Field(0.2, gt=0.0, lt=1.0)
    seed: int = 0
    robust: bool = Field(False, description="HC3 heteroscedasticity-robust standard errors")
    cv_folds: int = Field(5, ge=0, description="k of the k-fold CV on the training part; 0 = off")
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    vif_threshold: float = Field(10.0, gt=1.0)
    rows_per_term: float = Field(10.0, gt=0.0, description="fewer training rows per term than this warns")

    @field_validator("cv_folds")
    @classmethod
    def _folds_not_one(cls, value: int) -> int:
        if value == 1:
            raise ValueError("cv_folds must be 0 (off) or at least 2")
        return value
