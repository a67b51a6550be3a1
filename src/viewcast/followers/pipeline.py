"""``run(data, config) -> FollowersResult`` and ``predict(model, planned)``: pure, nothing written.

Order of work (each step's statistics come from the rows it fits, never from held-out ones):

1. read and clean the table (:mod:`.data`): renames, parsing, zeros that mean "missing", rare levels;
2. shuffled train/test split with ``seed``;
3. the scale of the counts: raw and log1p each scored by k-fold CV on the training part
   (``scale="auto"``), or as configured;
4. hold-out test: the chosen recipe fitted on the training part, scored on the test part
   (RMSE, 95% prediction-interval coverage);
5. the reported fit on ``fit_on`` rows (all by default): aliases dropped, OLS, Breusch–Pagan
   choosing the standard errors, p-values adjusted for the number of terms (:mod:`.fitting`,
   :mod:`.evaluation`);
6. the plain-language reading (:mod:`.reading`), the saved-model form and its what-if table.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from viewcast.followers.config import FollowersConfig
from viewcast.followers.data import CleanTable, clean_table, load_frame
from viewcast.followers.evaluation import Holdout, choose_scale, coefficient_table, holdout, model_from_fit, split_rows
from viewcast.followers.fitting import Fit, fit_recipe
from viewcast.followers.model import FollowersModel
from viewcast.followers.reading import alias_note, drivers, errors_note, scale_note, warnings_for
from viewcast.followers.result import FollowersResult
from viewcast.io.tables import column_key, read_table

#: Length quantiles shown in the what-if table.
WHAT_IF_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def run(data: str | os.PathLike[str] | pd.DataFrame, config: FollowersConfig | dict | None = None) -> FollowersResult:
    """Clean, choose the scale, test, fit and read. Bad input raises a ``ViewcastError``."""
    config = FollowersConfig.parse(config)
    frame, source = load_frame(data)
    table = clean_table(frame, config, source)
    train, test = split_rows(len(table.values), config.test_size, config.seed)
    scale, comparison = choose_scale(table, train, config)
    held = holdout(table, train, test, scale, config) if len(test) else Holdout({"n_test": 0, "n_test_scored": 0})
    if config.fit_on == "all":
        rows = np.arange(len(table.values))
        fit = fit_recipe(table, rows, scale, config)
    else:
        rows = train
        fit = fit_recipe(table, rows, scale, config, where="training part", param="test_size")
    coefficients = coefficient_table(fit, config.alpha, config.p_adjust)
    metrics = _metrics(fit, coefficients, comparison, held, config, n_train=len(train), n_rows=len(table.values))
    model = model_from_fit(fit, table.take(rows), training=_training_summary(metrics))
    vif = coefficients["vif"].drop(index="const")
    return FollowersResult(
        config=config,
        source=source,
        coefficients=coefficients,
        metrics=metrics,
        scale_comparison=comparison,
        aliases=[alias.to_dict() for alias in fit.aliases],
        cleaning=_cleaning(table, rows, fit),
        drivers=drivers(coefficients, _dummy_meaning(fit)),
        notes=_notes(fit, comparison, metrics["cov_type"], config),
        warnings=warnings_for(
            len(rows), metrics["n_terms"], vif, config.alpha, config.rows_per_term, config.vif_threshold, config.p_adjust
        ),
        what_if=model.what_if(_what_if_lengths(table, rows)),
        model=model,
        fitted_log_=np.asarray(fit.results.fittedvalues, float),
        residuals_log_=np.asarray(fit.results.resid, float),
        test_actual_log_=held.actual_log,
        test_predicted_log_=held.predicted_log,
        summary_text_=str(fit.results.summary()),
    )


def _metrics(
    fit: Fit, coefficients: pd.DataFrame, comparison: dict, held: Holdout, config: FollowersConfig, *, n_train: int, n_rows: int
) -> dict[str, Any]:
    results = fit.results
    scale = fit.scale
    return {
        "r2": float(results.rsquared),
        "adj_r2": float(results.rsquared_adj),
        "f_stat": float(np.squeeze(results.fvalue)),
        "f_pvalue": float(np.squeeze(results.f_pvalue)),
        "df_model": float(results.df_model),
        "df_resid": float(results.df_resid),
        "cov_type": "HC3" if results.cov_type == "HC3" else "classical",
        "breusch_pagan_lm": fit.breusch_pagan["lm"],
        "breusch_pagan_p": fit.breusch_pagan["p_value"],
        "residual_sd_log": float(np.sqrt(results.mse_resid)),
        "scale": scale,
        "cv_rmse_log_mean": comparison[scale]["cv_rmse_log_mean"],
        "cv_rmse_log_sd": comparison[scale]["cv_rmse_log_sd"],
        "cv_folds": config.cv_folds,
        **{k: held.metrics.get(k) for k in ("test_rmse_log", "test_rmse_followers", "test_pi95_coverage")},
        "n_rows": n_rows,
        "n_fit": int(results.nobs),
        "fit_on": config.fit_on,
        "n_train": n_train,
        "n_test": held.metrics["n_test"],
        "n_test_scored": held.metrics["n_test_scored"],
        "n_terms": len(fit.design.terms) + 1,
        "alpha": config.alpha,
        "p_adjust": config.p_adjust,
        "n_drivers": int(coefficients["driver"].sum()),
    }


def _notes(fit: Fit, comparison: dict, cov_type: str, config: FollowersConfig) -> list[str]:
    """The decisions taken, in order: scale, aliases, constant terms, standard errors."""
    notes = [scale_note(fit.scale, comparison, fixed=config.scale != "auto")]
    notes += [alias_note(alias, config.alias_vif) for alias in fit.aliases]
    notes += [f"{term} is constant in the rows fitted and was left out." for term in fit.constant]
    notes.append(errors_note(cov_type, fit.breusch_pagan, config.standard_errors, config.bp_alpha, fit.hc3_undefined))
    return notes


def _dummy_meaning(fit: Fit) -> dict[str, tuple[str, str, str]]:
    """Dummy term -> (column, level, baseline), for the sentences."""
    baselines = fit.design.baselines
    return {term: (column, level, baselines[column]) for term, (column, level) in fit.design.sources.items() if level is not None}


def _training_summary(metrics: dict[str, Any]) -> dict[str, Any]:
    """The figures a saved model carries (its manifest's metrics and ``describe()``)."""
    keys = (
        "r2",
        "adj_r2",
        "residual_sd_log",
        "scale",
        "cov_type",
        "cv_rmse_log_mean",
        "test_rmse_log",
        "test_pi95_coverage",
        "n_fit",
    )
    return {k: metrics[k] for k in keys}


def _what_if_lengths(table: CleanTable, rows: np.ndarray) -> list[float] | None:
    """Training quantiles of a ``length`` column, rounded, for the what-if table."""
    length = next((c for c in table.numeric if column_key(c) == "length"), None)
    if length is None:
        return None
    observed = table.values[length].iloc[rows].dropna()
    return sorted({float(np.round(v)) for v in observed.quantile(list(WHAT_IF_QUANTILES))})


def _cleaning(table: CleanTable, rows: np.ndarray, fit: Fit) -> dict[str, Any]:
    missing = table.values.isna()
    return {
        "rows_in": table.rows_in,
        "rows_used": len(table.values),
        "renamed": table.renamed,
        "ignored": table.ignored,
        "predictors": table.numeric,
        "categorical": table.categorical,
        "dropped_levels": table.dropped_levels,
        "dropped_missing": table.dropped_missing,
        "baselines": fit.design.baselines,
        "log_scale": fit.design.log_columns,
        "imputed": {
            column: {
                "strategy": strategy,
                "fill_value": fit.target_fill if column == table.target else fit.design.fills.get(column),
                "cells": int(missing[column].iloc[rows].sum()),
            }
            for column, strategy in table.strategies.items()
        },
    }


def predict(model: FollowersModel | str | os.PathLike[str], planned: Any) -> Any:
    """Answers for planned videos from a model (or a model folder).

    ``planned`` is one record (a mapping), a list of records — answered as by
    :meth:`FollowersModel.predict` — or a table (a DataFrame or a path read by the one table
    reader), answered as that table with ``expected_new_followers``, ``lo95``, ``hi95`` and
    ``outside_training_range`` appended.
    """
    if not isinstance(model, FollowersModel):
        from viewcast.io.registry import load_model

        model = load_model(model, kind=FollowersModel.KIND)
    if isinstance(planned, (str, os.PathLike)):
        frame = read_table(planned, "planned-video")
        return pd.concat([frame, model.predict_table(frame, str(planned))], axis=1)
    if isinstance(planned, pd.DataFrame):
        return pd.concat([planned, model.predict_table(planned)], axis=1)
    return model.predict(planned)
