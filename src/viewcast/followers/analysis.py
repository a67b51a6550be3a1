"""``analyse``: the follower-drivers regression as a pure function of a table and a config.

Order of work (the issue lists the split after the imputation, but its statistics must come from
the training part only, so the seeded split happens first):

1. rename/parse/validate columns, drop rows with rare levels (:mod:`.prepare`);
2. dummy-code categories against their most frequent level;
3. shuffled train/test split with ``seed``;
4. impute zeros-as-missing and standardise predictors with training statistics, ``log1p`` target;
5. OLS on the training part (statsmodels), the same fit on raw units for per-unit coefficients,
   VIF, test RMSE and k-fold CV RMSE on the training part;
6. plain-language drivers and warnings (:mod:`.reading`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.followers.config import FollowersConfig
from viewcast.followers.model import coefficient_table, fit_ols, fold_rmse, rmse, variance_inflation
from viewcast.followers.prepare import CleanTable, choose_baseline, clean_table, dummy_code
from viewcast.followers.preprocess import Preprocessor
from viewcast.followers.reading import drivers, warnings_for
from viewcast.followers.result import FollowersResult


def split_rows(n: int, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled positions ``(train, test)``; the test part has ``round(test_size * n)`` rows, at least one."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = min(max(1, round(test_size * n)), n - 1)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def _design(table: CleanTable) -> tuple[pd.DataFrame, dict[str, str], dict[str, tuple[str, str, str]]]:
    baselines = {c: choose_baseline(table.levels[c]) for c in table.categorical}
    dummies, meaning = dummy_code(table.levels, baselines)
    return pd.concat([table.values[table.numeric], dummies], axis=1), baselines, meaning


def _check_size(n_train: int, n_terms: int, source: str) -> None:
    if n_train <= n_terms:
        raise DataValidationError(
            f"{source}: the model has {n_terms} terms (constant, predictors and dummies) but the training part "
            f"has only {n_train} rows; it needs more rows than terms: --ignore some columns, raise "
            "--min-level-count or lower --test-size"
        )


def _check_rank(X: pd.DataFrame, source: str) -> None:
    """A singular design has no unique OLS solution: name the columns involved instead of guessing."""
    if np.linalg.matrix_rank(X.to_numpy(float)) < X.shape[1]:
        vif = variance_inflation(X)
        culprits = vif.index[~np.isfinite(vif) | (vif > 1e6)].tolist() or list(X.columns[1:])
        raise DataValidationError(
            f"{source}: predictors are perfectly collinear in the training part ({', '.join(culprits)}); --ignore one of them"
        )


def _imputed_counts(table: CleanTable, train: np.ndarray, test: np.ndarray, prep: Preprocessor) -> dict[str, dict]:
    fills = {**prep.fill_, table.target: prep.target_fill_}
    missing = table.values.isna()
    return {
        column: {
            "strategy": strategy,
            "fill_value": fills[column],
            "train": int(missing[column].iloc[train].sum()),
            "test": int(missing[column].iloc[test].sum()),
        }
        for column, strategy in table.strategies.items()
    }


def _coefficients(results, raw, prep: Preprocessor, vif: pd.Series, alpha: float) -> pd.DataFrame:
    """The standardised fit's table, with the raw-units fit's estimates/CIs and the scaling beside."""
    table = coefficient_table(results, alpha)
    table["significant"] = table["p_value"] < alpha
    per_unit = coefficient_table(raw, alpha)
    table["per_unit"] = per_unit["estimate"]
    for name in ("std_error", "ci_low", "ci_high"):
        table[f"per_unit_{name}"] = per_unit[name]
    table["train_mean"] = prep.mean_.reindex(table.index)
    table["train_sd"] = prep.scale_.reindex(table.index)
    table["vif"] = vif.reindex(table.index)
    table.index.name = "term"
    return table


def analyse(frame: pd.DataFrame, config: FollowersConfig | None = None, source: str = "data") -> FollowersResult:
    """Validate, clean and fit. Bad input raises :class:`DataValidationError`; nothing is written here."""
    config = config or FollowersConfig()
    table = clean_table(frame, config, source)
    X, baselines, dummy_meaning = _design(table)
    y = table.values[table.target]
    train, test = split_rows(len(X), config.test_size, config.seed)
    n_terms = X.shape[1] + 1
    _check_size(len(train), n_terms, source)

    prep = Preprocessor(table.strategies, table.target).fit(X.iloc[train], y.iloc[train])
    X_train, y_train = prep.transform(X.iloc[train]), prep.transform_target(y.iloc[train])
    _check_rank(X_train, source)
    results = fit_ols(X_train, y_train, config.robust)
    # same model on raw units: identical fit, t and p; coefficients per view, per second, per level
    raw = fit_ols(prep.impute(X.iloc[train]).assign(const=1.0)[X_train.columns], y_train, config.robust)
    vif = variance_inflation(X_train)
    coefficients = _coefficients(results, raw, prep, vif, config.alpha)

    scored = test[y.iloc[test].notna().to_numpy()]  # recorded targets only: an imputed one is no outcome
    predicted_log = results.predict(prep.transform(X.iloc[scored]))
    actual = y.iloc[scored].to_numpy(float)
    cv = (
        fold_rmse(X.iloc[train], y.iloc[train], table.strategies, table.target, config.cv_folds, config.seed)
        if config.cv_folds
        else []
    )
    metrics = {
        "r2": float(results.rsquared),
        "adj_r2": float(results.rsquared_adj),
        "f_stat": float(np.squeeze(results.fvalue)),
        "f_pvalue": float(results.f_pvalue),
        "df_model": float(results.df_model),
        "df_resid": float(results.df_resid),
        "cov_type": results.cov_type,
        "residual_sd_log": float(np.sqrt(results.mse_resid)),
        "test_rmse_log": rmse(np.log1p(actual), predicted_log) if len(scored) else None,
        "test_rmse_followers": rmse(actual, np.expm1(predicted_log)) if len(scored) else None,
        "cv_rmse_log_mean": float(np.mean(cv)) if cv else None,
        "cv_rmse_log_sd": float(np.std(cv, ddof=1)) if len(cv) > 1 else None,
        "cv_folds": config.cv_folds,
        "n_train": len(train),
        "n_test": len(test),
        "n_test_scored": len(scored),
        "n_terms": n_terms,
        "alpha": config.alpha,
    }
    cleaning = {
        "rows_in": table.rows_in,
        "rows_used": len(X),
        "renamed": table.renamed,
        "ignored": table.ignored,
        "predictors": table.numeric,
        "categorical": table.categorical,
        "dropped_levels": table.dropped_levels,
        "dropped_missing": table.dropped_missing,
        "baselines": baselines,
        "imputed": _imputed_counts(table, train, test, prep),
    }
    return FollowersResult(
        config=config,
        source=source,
        coefficients=coefficients,
        metrics=metrics,
        cleaning=cleaning,
        drivers=drivers(coefficients, dummy_meaning, config.alpha),
        warnings=warnings_for(len(train), n_terms, vif, config.alpha, config.rows_per_term, config.vif_threshold),
        results_=results,
        design_=X_train,
        target_=y_train,
        test_actual_log_=np.log1p(actual),
        test_predicted_log_=np.asarray(predicted_log, float),
    )
