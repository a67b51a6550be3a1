"""Every option of the follower-drivers analysis, validated before any work.

The defaults answer issue 13: counts on the log scale when cross-validation prefers it, aliased
predictors dropped with a note, robust standard errors when a Breusch–Pagan test asks for them,
drivers named only after a Holm correction for the number of terms tested, and the final model
fitted on every usable video. :data:`STUDY_RECIPE` reproduces the public study instead (raw
predictors, classical errors, no correction, mode-filled target, fitted on the 80% training part).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from viewcast.contracts import Config
from viewcast.errors import ConfigError

Strategy = Literal["mean", "median", "mode", "drop", "none"]
STRATEGIES = get_args(Strategy)
Scale = Literal["auto", "log", "raw"]
StandardErrors = Literal["auto", "classical", "hc3"]
Adjustment = Literal["holm", "bonferroni", "fdr_bh", "none"]

#: Zeros that mean "not recorded" on the analytics screen the study copied (and blanks anywhere).
DEFAULT_MISSING_ZERO: dict[str, Strategy] = {"newFollowers": "drop", "watchedFullVideo": "mean"}
#: Heavy-tailed counts: log1p-scaled when the log scale is chosen (issue 13's list).
DEFAULT_LOG_COLUMNS = ("views", "likes", "comments", "shares", "saves", "totalPlayTime")
#: Columns of the study's schema that count or measure things and can never be negative.
NON_NEGATIVE = frozenset(
    c.lower()
    for c in (
        "length", "views", "likes", "comments", "shares", "saves", "avgWatchTime",
        "watchedFullVideo", "newFollowers", "forYouPct", "totalPlayTime",
    )
)  # fmt: skip
#: The model's term order for the study's columns (R's ``lm`` drops the later of two exact aliases).
STUDY_ORDER = (
    "length", "views", "likes", "comments", "shares", "saves", "avgWatchTime",
    "watchedFullVideo", "forYouPct", "totalPlayTime",
)  # fmt: skip
#: The study's reported figures, shown beside ours.
STUDY_FIGURES = {"r2": 0.746, "test_rmse_log": 0.466, "rows": 194, "columns": 14}
#: Options that reproduce the study's recipe: ``FollowersConfig.parse(STUDY_RECIPE, seed=3)``.
STUDY_RECIPE = {
    "scale": "raw",
    "standard_errors": "classical",
    "p_adjust": "none",
    "fit_on": "train",
    "missing_zero": {"newFollowers": "mode"},
}


class FollowersConfig(Config):
    """What to model, how to clean it and how to test it.

    ``missing_zero`` holds the user's strategies per column and overrides
    :data:`DEFAULT_MISSING_ZERO` (applied to those of its columns that the data has, unless
    ``default_missing_zero`` is false). ``none`` means "zeros are real values".
    """

    target: str = Field("newFollowers", min_length=1, description="column to explain (modelled as log1p)")
    column_map: dict[str, str] = Field(default_factory=dict, description="rename old -> new before anything else")
    ignore: list[str] = Field(default_factory=list, description="columns left out of the model")
    categorical: list[str] = Field(default_factory=lambda: ["category", "subject"])
    date_column: str = "date"
    min_level_count: int = Field(5, ge=0, description="levels seen this often or less are dropped with their rows")
    missing_zero: dict[str, Strategy] = Field(default_factory=dict)
    default_missing_zero: bool = True
    scale: Scale = Field("auto", description="predictor scale of the counts: chosen by CV RMSE, or fixed")
    log_columns: list[str] = Field(default_factory=lambda: list(DEFAULT_LOG_COLUMNS))
    standard_errors: StandardErrors = Field("auto", description="auto: HC3 when Breusch-Pagan rejects at bp_alpha")
    bp_alpha: float = Field(0.05, gt=0.0, lt=0.5)
    p_adjust: Adjustment = Field("holm", description="multiple-testing correction of the drivers' p-values")
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    alias_vif: float = Field(20.0, gt=1.0, description="predictors with a larger VIF are aliased: one is dropped")
    vif_threshold: float = Field(10.0, gt=1.0, description="remaining VIFs above this are warned about")
    rows_per_term: float = Field(10.0, gt=0.0, description="fewer rows per term than this warns")
    test_size: float = Field(0.2, ge=0.0, lt=1.0)
    cv_folds: int = Field(5, ge=0, le=10_000, description="k of the k-fold CV on the training part; 0 = off")
    fit_on: Literal["all", "train"] = Field("all", description="rows of the reported fit and saved model")
    seed: int = Field(0, ge=0, le=2**32 - 1)

    @field_validator("cv_folds")
    @classmethod
    def _folds_not_one(cls, value: int) -> int:
        if value == 1:
            raise PydanticCustomError("folds", "must be 0 (off) or at least 2")
        return value

    @field_validator("column_map", "missing_zero", mode="before")
    @classmethod
    def _entries(cls, value: object, info: ValidationInfo) -> object:
        """Check entries here, so that an error names the option (not ``missing_zero.views``)."""
        if not isinstance(value, dict):
            return value
        for key, item in value.items():
            if not isinstance(key, str) or not key.strip():
                raise PydanticCustomError("blank", "column names cannot be blank")
            if info.field_name == "missing_zero" and item not in STRATEGIES:
                raise PydanticCustomError(
                    "strategy",
                    "{column}: '{item}' is not one of {choices}",
                    {"column": key, "item": item, "choices": ", ".join(STRATEGIES)},
                )
            if info.field_name == "column_map" and (not isinstance(item, str) or not item.strip()):
                raise PydanticCustomError("blank", "{column} is renamed to a blank name", {"column": key})
        return value

    @field_validator("ignore", "categorical", "log_columns")
    @classmethod
    def _listed_names_not_blank(cls, value: list[str]) -> list[str]:
        if any(not name.strip() for name in value):
            raise PydanticCustomError("blank", "column names cannot be blank")
        return value

    @model_validator(mode="after")
    def _auto_needs_cv(self) -> FollowersConfig:
        if self.scale == "auto" and self.cv_folds == 0:
            # raised as is (not a pydantic error) so that it names the option to change
            raise ConfigError(
                "'auto' is chosen by cross-validation, which cv_folds = 0 turns off; choose 'log' or 'raw'", param="scale"
            )
        return self
