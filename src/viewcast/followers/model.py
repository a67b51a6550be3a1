"""The saved follower model: expected new followers of a planned video, with a 95% interval.

Everything the planner needs travels with the model folder (``viewcast.io.persist``: safetensors
+ JSON, checksummed): the coefficients and their covariance (classical or HC3), the residual
variance and degrees of freedom, the smearing factor of the back-transform, and the whole
preprocessing (:class:`~viewcast.followers.design.Design`: fills, log choices, levels and
baselines, dropped aliases, standardisation), plus the range of every column in training so
that answers far outside it are flagged.

On the log1p scale a planned video ``x`` has mean ``m = x·b`` and prediction variance
``s² + x·V·x``; the 95% prediction interval is ``m ± t(0.975, df)·sqrt(...)``, back-transformed
with ``expm1`` (quantiles survive a monotone transform, so the interval stays exact on the
followers scale). The expected count is Duan's smearing estimate ``exp(m)·mean(exp(residual)) - 1``,
which does not assume normal residuals.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy import stats

from viewcast.errors import DataValidationError, ModelLoadError
from viewcast.followers.design import Design, candidate_sources
from viewcast.followers.planned import non_negative_columns, records_frame, table_frame
from viewcast.io.persist import require, require_finite, require_shape
from viewcast.io.tables import column_key

#: Version of the state layout below (config.json keys and tensor names).
STATE_VERSION = 1
#: exp() of more than this overflows float64: such a prediction is refused, not returned as inf.
MAX_LOG = 700.0
ANSWER_COLUMNS = ("expected_new_followers", "lo95", "hi95")


class _State(BaseModel):
    """The JSON half of a saved model, validated field by field when it is loaded."""

    model_config = ConfigDict(extra="forbid", strict=True)

    state_version: int = Field(ge=1, le=STATE_VERSION)
    target: str
    numeric: list[str]
    log_columns: list[str]
    levels: dict[str, list[str]]
    baselines: dict[str, str]
    fills: dict[str, Annotated[float, Field(allow_inf_nan=False)]]
    terms: list[str]
    cov_type: str
    df_resid: float = Field(gt=0, allow_inf_nan=False)
    aliases: list[dict[str, Any]]
    training: dict[str, Any]


class FollowersModel:
    """OLS of log1p(new followers) with its preprocessing; ``predict`` answers planned videos.

    ``predict(request)`` takes one record (a mapping of fields, see
    :class:`~viewcast.followers.planned.PlannedVideo`), a list of records, or a DataFrame of
    planned videos, and answers per record ``expected_new_followers``, ``lo95`` and ``hi95``
    (the 95% prediction interval) and ``outside_training_range`` (the fields whose value lies
    outside what the model was fitted on): a dict for a record, a list for a list, a DataFrame
    (those columns) for a DataFrame.
    """

    KIND: ClassVar[str] = "followers"

    def __init__(
        self,
        *,
        target: str,
        design: Design,
        coef: np.ndarray,
        cov: np.ndarray,
        sigma2: float,
        df_resid: float,
        cov_type: str,
        smearing: float,
        minimum: np.ndarray,
        maximum: np.ndarray,
        median: np.ndarray,
        aliases: list[dict[str, Any]] | None = None,
        training: dict[str, Any] | None = None,
    ) -> None:
        self.target = target
        self.design = design
        self.coef = np.asarray(coef, float)
        self.cov = np.asarray(cov, float)
        self.sigma2 = float(sigma2)
        self.df_resid = float(df_resid)
        self.cov_type = cov_type
        self.smearing = float(smearing)
        self.minimum = np.asarray(minimum, float)
        self.maximum = np.asarray(maximum, float)
        self.median = np.asarray(median, float)
        self.aliases = list(aliases or [])
        self.training = dict(training or {})

    # -- what the model reads -------------------------------------------------------------
    @property
    def inputs(self) -> list[str]:
        """Numeric columns a planned video must give (those of the kept terms)."""
        used = {self.design.sources[t][0] for t in self.design.terms}
        return [c for c in self.design.numeric if c in used]

    @property
    def fillable(self) -> set[str]:
        """Columns that may be left out: zeros there meant "not recorded" and are filled."""
        return set(self.design.fills)

    def typical(self) -> dict[str, float]:
        """The training median of every numeric input (the what-if table holds them fixed)."""
        return {c: float(m) for c, m in zip(self.design.numeric, self.median) if c in self.inputs}

    # -- answers --------------------------------------------------------------------------
    def predict(self, request: Any) -> Any:
        """Expected new followers and the 95% prediction interval per planned video."""
        if isinstance(request, pd.DataFrame):
            return self.predict_table(request)
        non_negative = non_negative_columns(self.design.numeric, self.design.log_columns)
        values, levels = records_frame(request, self.inputs, self.fillable, self.design.levels, non_negative)
        answers = self.answer(values.reindex(columns=self.design.numeric), levels, "planned video {number}").to_dict("records")
        return answers[0] if isinstance(request, (Mapping, BaseModel)) else answers

    def predict_table(self, frame: pd.DataFrame, source: str = "planned videos") -> pd.DataFrame:
        """The answer columns for a table of planned videos (``outside_training_range`` joined by ';')."""
        non_negative = non_negative_columns(self.design.numeric, self.design.log_columns)
        values, levels = table_frame(frame, source, self.inputs, self.fillable, self.design.levels, non_negative)
        answers = self.answer(values.reindex(columns=self.design.numeric), levels, source + ", row {row}")
        answers.index = frame.index
        return answers.assign(outside_training_range=answers["outside_training_range"].str.join(";"))

    def what_if(self, lengths: list[float] | None = None, max_rows: int = 60) -> pd.DataFrame:
        """Expected new followers of a typical video as length and levels change.

        Every other input stays at its training median. All level combinations are shown when
        there are at most ``max_rows`` of them (per length), otherwise one column varies at a
        time with the others at their baselines. ``lengths`` defaults to the training minimum,
        median and maximum of a ``length`` column when the model uses one.
        """
        typical = self.typical()
        length = next((c for c in self.inputs if column_key(c) == "length"), None)
        if length is not None and lengths is None:
            position = self.design.numeric.index(length)
            lengths = sorted({float(self.minimum[position]), float(self.median[position]), float(self.maximum[position])})
        grid = [{length: value} for value in lengths] if length is not None else [{}]
        known = self.design.levels
        combos = list(itertools.product(*known.values()))
        if len(combos) > max_rows:
            combos = [
                tuple(level if other == column else self.design.baselines[other] for other in known)
                for column in known
                for level in known[column]
            ]
            combos = list(dict.fromkeys(combos))
        rows = [{**typical, **setting, **dict(zip(known, combo))} for setting in grid for combo in combos]
        table = pd.DataFrame(rows)
        values = table.reindex(columns=self.design.numeric).astype(float)
        answers = self.answer(values, table[list(known)] if known else pd.DataFrame(index=table.index))
        shown = ([length] if length is not None else []) + list(known)
        return pd.concat([table[shown], answers.drop(columns="outside_training_range")], axis=1)

    def answer(self, values: pd.DataFrame, levels: pd.DataFrame, where: str = "row {number}") -> pd.DataFrame:
        """The answer columns for checked raw values (NaN = to fill) and levels."""
        X = self.design.matrix(values, levels).to_numpy(float)
        mean = X @ self.coef
        spread = np.sqrt(self.sigma2 + np.einsum("ij,jk,ik->i", X, self.cov, X))
        half = stats.t.ppf(0.975, self.df_resid) * spread
        too_far = ~np.isfinite(mean + half) | (mean + half > MAX_LOG) | (mean - half < -MAX_LOG)
        if too_far.any():
            first = int(np.flatnonzero(too_far)[0])
            raise DataValidationError(
                where.format(number=first + 1, row=first + 2)
                + ": values so far outside the training data that the prediction overflows; "
                + self._ranges_text(values.iloc[first])
            )
        outside = self._outside(values)
        return pd.DataFrame(
            {
                "expected_new_followers": np.maximum(np.exp(mean) * self.smearing - 1.0, 0.0),
                "lo95": np.maximum(np.expm1(mean - half), 0.0),
                "hi95": np.maximum(np.expm1(mean + half), 0.0),
                "outside_training_range": outside,
            }
        )

    def _outside(self, values: pd.DataFrame) -> list[list[str]]:
        inputs = self.inputs
        found: list[list[str]] = [[] for _ in range(len(values))]
        for position, column in enumerate(self.design.numeric):
            if column not in inputs:
                continue
            cells = values[column].to_numpy(float)
            beyond = (cells < self.minimum[position]) | (cells > self.maximum[position])
            for row in np.flatnonzero(beyond):
                found[row].append(column)
        return found

    def _ranges_text(self, row: pd.Series) -> str:
        parts = []
        for position, column in enumerate(self.design.numeric):
            value = row.get(column)
            if column in self.inputs and value == value and not self.minimum[position] <= value <= self.maximum[position]:
                parts.append(f"{column} {value:,.6g} (training {self.minimum[position]:,.6g} to {self.maximum[position]:,.6g})")
        return "; ".join(parts) or "check the values"

    # -- persistence ----------------------------------------------------------------------
    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        design = self.design
        config = {
            "state_version": STATE_VERSION,
            "target": self.target,
            "numeric": design.numeric,
            "log_columns": design.log_columns,
            "levels": design.levels,
            "baselines": design.baselines,
            "fills": design.fills,
            "terms": design.terms,
            "cov_type": self.cov_type,
            "df_resid": self.df_resid,
            "aliases": self.aliases,
            "training": self.training,
        }
        tensors = {
            "coef": self.coef,
            "cov": self.cov,
            "term_mean": design.mean,
            "term_scale": design.scale,
            "sigma2": np.array([self.sigma2]),
            "smearing": np.array([self.smearing]),
            "numeric_min": self.minimum,
            "numeric_max": self.maximum,
            "numeric_median": self.median,
        }
        return config, {name: np.array(value, dtype=np.float64) for name, value in tensors.items()}  # copies

    @classmethod
    def from_state(cls, config: dict[str, Any], tensors: dict[str, np.ndarray]) -> FollowersModel:
        """Rebuild and check: names consistent, shapes fit, values finite, variances positive."""
        try:
            state = _State.model_validate(config)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise ModelLoadError(
                f"model state does not fit: config entry {'.'.join(map(str, first['loc']))!r}: {first['msg']}"
            ) from None
        require(set(state.log_columns) <= set(state.numeric), "log columns are not numeric columns")
        require(set(state.fills) <= set(state.numeric), "fill values of unknown columns")
        require(set(state.baselines) == set(state.levels), "baselines and levels name different columns")
        for column, known in state.levels.items():
            require(state.baselines[column] in known, f"baseline of {column!r} is not one of its levels")
            require(len(set(known)) == len(known) >= 2, f"levels of {column!r} are repeated or fewer than two")
        sources = candidate_sources(state.numeric, state.levels, state.baselines)
        require(len(set(state.terms)) == len(state.terms), "repeated terms")
        require(all(t in sources for t in state.terms), "terms that no column or level produces")
        p, k = len(state.terms) + 1, len(state.numeric)
        require_finite(
            tensors,
            ["coef", "cov", "term_mean", "term_scale", "sigma2", "smearing", "numeric_min", "numeric_max", "numeric_median"],
        )
        coef = require_shape(tensors, "coef", (p,))
        cov = require_shape(tensors, "cov", (p, p))
        scale = require_shape(tensors, "term_scale", (p - 1,))
        sigma2 = require_shape(tensors, "sigma2", (1,))
        smearing = require_shape(tensors, "smearing", (1,))
        require(bool((scale > 0).all()), "standard deviations of the terms must be positive")
        require(float(sigma2[0]) > 0 and float(smearing[0]) > 0, "residual variance and smearing factor must be positive")
        require(bool((np.diag(cov) >= 0).all()), "the covariance has negative variances")
        design = Design(
            numeric=state.numeric,
            log_columns=state.log_columns,
            levels=state.levels,
            baselines=state.baselines,
            fills=state.fills,
            terms=state.terms,
            mean=require_shape(tensors, "term_mean", (p - 1,)),
            scale=scale,
        )
        return cls(
            target=state.target,
            design=design,
            coef=coef,
            cov=cov,
            sigma2=float(sigma2[0]),
            df_resid=state.df_resid,
            cov_type=state.cov_type,
            smearing=float(smearing[0]),
            minimum=require_shape(tensors, "numeric_min", (k,)),
            maximum=require_shape(tensors, "numeric_max", (k,)),
            median=require_shape(tensors, "numeric_median", (k,)),
            aliases=state.aliases,
            training=state.training,
        )

    def describe(self) -> dict[str, Any]:
        """Name, settings and training figures (the service's model listing)."""
        return {
            "kind": self.KIND,
            "target": self.target,
            "inputs": self.inputs,
            "optional_inputs": sorted(self.fillable & set(self.inputs)),
            "categorical": self.design.levels,
            "baselines": self.design.baselines,
            "log_scale": [c for c in self.design.log_columns if c in self.inputs],
            "terms": self.design.terms,
            "dropped_aliases": self.aliases,
            "standard_errors": self.cov_type,
            "residual_sd_log": float(np.sqrt(self.sigma2)),
            "df_resid": self.df_resid,
            "training": self.training,
        }

    def save(self, directory: str | os.PathLike[str], *, param: str | None = "save_model") -> Path:
        """Write the model folder (whole or not at all); ``viewcast.load_model`` reads it back."""
        from viewcast.io.registry import save

        return save(self, directory, metrics=self.training, param=param)
