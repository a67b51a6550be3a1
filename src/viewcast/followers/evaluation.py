"""How good and how sure: cross-validation, the hold-out test, the coefficient table, VIFs.

* **Scale choice**: the same recipe on the raw and on the log1p scale of the counts, each scored
  by k-fold CV RMSE (log1p of the target) on the training part; the lower wins, both are reported.
* **Hold-out test**: the chosen recipe fitted on the training part, scored on the held-out
  videos whose target was recorded: RMSE on both scales and the share of them inside their
  95% prediction interval (which should be close to 0.95).
* **Coefficient table**: statsmodels' estimates on the standardised design, the same per unit of
  each modelled column (per log1p unit = an elasticity), and p-values adjusted for the number of
  terms tested (Holm by default), which decide the drivers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.followers.config import FollowersConfig
from viewcast.followers.data import CleanTable
from viewcast.followers.fitting import Fit, fit_recipe, log_columns
from viewcast.followers.model import FollowersModel


def split_rows(n: int, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled positions ``(train, test)``; the test part has ``round(test_size * n)`` rows (one at least)."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = 0 if test_size == 0 else min(max(1, round(test_size * n)), n - 1)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual, float) - np.asarray(predicted, float)) ** 2)))


def log_predictions(fit: Fit, part: CleanTable) -> np.ndarray:
    """The fitted mean of log1p(target) for other rows."""
    return fit.design.matrix(part.values, part.levels).to_numpy(float) @ np.asarray(fit.results.params, float)


def model_from_fit(fit: Fit, part: CleanTable, training: dict | None = None) -> FollowersModel:
    """The saved-model form of a fit; ``part`` holds the rows it was fitted on (for ranges)."""
    results = fit.results
    raw = part.values[fit.design.numeric]
    return FollowersModel(
        target=part.target,
        design=fit.design,
        coef=np.asarray(results.params, float),
        cov=np.asarray(results.cov_params(), float),
        sigma2=float(results.mse_resid),
        df_resid=float(results.df_resid),
        cov_type="HC3" if results.cov_type == "HC3" else "classical",
        smearing=float(np.mean(np.exp(np.asarray(results.resid, float)))),
        minimum=raw.min().to_numpy(float),
        maximum=raw.max().to_numpy(float),
        median=raw.median().to_numpy(float),
        aliases=[a.to_dict() for a in fit.aliases],
        training=training,
    )


def cv_rmse(table: CleanTable, rows: np.ndarray, scale: str, config: FollowersConfig) -> list[float]:
    """k-fold CV RMSE (log1p scale) of the whole recipe; only recorded targets are scored."""
    from sklearn.model_selection import KFold

    folds = config.cv_folds
    if folds > len(rows):
        raise DataValidationError(
            f"{folds} folds need at least {folds} training rows; the training part has {len(rows)}", param="cv_folds"
        )
    scores = []
    splitter = KFold(n_splits=folds, shuffle=True, random_state=config.seed)
    for number, (fit_rows, val_rows) in enumerate(splitter.split(rows), start=1):
        fit = fit_recipe(table, rows[fit_rows], scale, config, where=f"training rows of CV fold {number}", param="cv_folds")
        part = table.take(rows[val_rows])
        recorded = part.values[table.target].notna().to_numpy()
        if recorded.any():
            actual = np.log1p(part.values[table.target].to_numpy(float)[recorded])
            scores.append(rmse(actual, log_predictions(fit, part)[recorded]))
    return scores


def choose_scale(table: CleanTable, train: np.ndarray, config: FollowersConfig) -> tuple[str, dict[str, dict]]:
    """The scale to model the counts on, and the CV figures of every scale tried."""
    if config.scale == "auto":
        candidates = ["raw", "log"] if log_columns(table, "log", config.log_columns) else ["raw"]
    else:
        candidates = [config.scale]
    scores = {}
    for scale in candidates:
        folds = cv_rmse(table, train, scale, config) if config.cv_folds else []
        scores[scale] = {
            "cv_rmse_log_mean": float(np.mean(folds)) if folds else None,
            "cv_rmse_log_sd": float(np.std(folds, ddof=1)) if len(folds) > 1 else None,
            "folds": len(folds),
        }
    scored = [s for s in candidates if scores[s]["cv_rmse_log_mean"] is not None]
    chosen = min(scored, key=lambda s: (scores[s]["cv_rmse_log_mean"], s != "log")) if scored else candidates[0]
    return chosen, scores


@dataclass
class Holdout:
    """Scores on the held-out videos, and their log-scale values for the residual plot."""

    metrics: dict
    actual_log: np.ndarray = field(default_factory=lambda: np.empty(0))
    predicted_log: np.ndarray = field(default_factory=lambda: np.empty(0))


def holdout(table: CleanTable, train: np.ndarray, test: np.ndarray, scale: str, config: FollowersConfig) -> Holdout:
    """Fit on the training part, score the held-out videos whose target was recorded."""
    part = table.take(test)
    recorded = part.values[table.target].notna().to_numpy()
    metrics: dict = {"n_test": len(test), "n_test_scored": int(recorded.sum())}
    if not recorded.any():
        return Holdout({**metrics, "test_rmse_log": None, "test_rmse_followers": None, "test_pi95_coverage": None})
    fit = fit_recipe(table, train, scale, config, where="training part", param="test_size")
    model = model_from_fit(fit, table.take(train))
    actual = part.values[table.target].to_numpy(float)[recorded]
    predicted = log_predictions(fit, part)[recorded]
    answers = model.answer(part.values[fit.design.numeric], part.levels).iloc[np.flatnonzero(recorded)]
    inside = (answers["lo95"].to_numpy() <= actual) & (actual <= answers["hi95"].to_numpy())
    metrics.update(
        test_rmse_log=rmse(np.log1p(actual), predicted),
        test_rmse_followers=rmse(actual, answers["expected_new_followers"].to_numpy()),
        test_pi95_coverage=float(inside.mean()),
    )
    return Holdout(metrics, np.log1p(actual), predicted)


def variance_inflation(X: pd.DataFrame) -> pd.Series:
    """VIF of each term (not the constant): 1 / (1 - R²) of it regressed on the others."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    values = X.to_numpy(float)
    if values.shape[1] < 3:
        return pd.Series(1.0, index=X.columns[1:], dtype=float)
    with np.errstate(divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vif = [variance_inflation_factor(values, i) for i in range(1, values.shape[1])]
    return pd.Series(vif, index=X.columns[1:], dtype=float)


def adjust(p_values: pd.Series, method: str, alpha: float) -> pd.Series:
    """Multiple-testing adjusted p-values (statsmodels); ``none`` returns them unchanged."""
    from statsmodels.stats.multitest import multipletests

    if method == "none" or p_values.empty:
        return p_values.copy()
    usable = p_values.notna()
    adjusted = pd.Series(np.nan, index=p_values.index)
    if usable.any():
        adjusted[usable] = multipletests(p_values[usable].to_numpy(float), alpha=alpha, method=method)[1]
    return adjusted


def coefficient_table(fit: Fit, alpha: float, p_adjust: str) -> pd.DataFrame:
    """Per term: standardised and per-unit estimates with SEs, tests, CIs, adjusted p, VIF."""
    from scipy import stats

    results, design = fit.results, fit.design
    terms = ["const", *design.terms]
    params = np.asarray(results.params, float)
    cov = np.asarray(results.cov_params(), float)
    # per unit of each modelled column: b_j / sd_j, and the intercept at zero instead of at the means
    A = np.diag(np.concatenate([[1.0], 1.0 / design.scale]))
    A[0, 1:] = -design.mean / design.scale
    per_unit = A @ params
    per_unit_se = np.sqrt(np.clip(np.diag(A @ cov @ A.T), 0.0, None))
    quantile = stats.t.ppf(1 - alpha / 2, results.df_resid) if results.use_t else stats.norm.ppf(1 - alpha / 2)
    ci = np.asarray(results.conf_int(alpha=alpha), float)
    table = pd.DataFrame(
        {
            "column": ["const", *(design.sources[t][0] for t in design.terms)],
            "transform": ["const", *(design.transform_of(t) for t in design.terms)],
            "estimate": params,
            "std_error": np.asarray(results.bse, float),
            "t": np.asarray(results.tvalues, float),
            "p_value": np.asarray(results.pvalues, float),
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
            "per_unit": per_unit,
            "per_unit_std_error": per_unit_se,
            "per_unit_ci_low": per_unit - quantile * per_unit_se,
            "per_unit_ci_high": per_unit + quantile * per_unit_se,
            "train_mean": np.concatenate([[np.nan], design.mean]),
            "train_sd": np.concatenate([[np.nan], design.scale]),
        },
        index=pd.Index(terms, name="term"),
    )
    tested = table["p_value"].drop(index="const")
    table["p_adjusted"] = adjust(tested, p_adjust, alpha).reindex(table.index)
    table["driver"] = (table["p_adjusted"] < alpha) & (table.index != "const")
    table["vif"] = variance_inflation(fit.X).reindex(table.index)
    return table
