"""OLS fits and their diagnostics, all taken from statsmodels so the numbers match its summary."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from viewcast.followers.preprocess import Preprocessor


def fit_ols(X: pd.DataFrame, y: pd.Series, robust: bool):
    """Ordinary least squares; HC3 sandwich errors when ``robust`` (valid under heteroscedasticity)."""
    import statsmodels.api as sm

    return sm.OLS(y.astype(float), X, hasconst=True).fit(cov_type="HC3" if robust else "nonrobust")


def coefficient_table(results, alpha: float) -> pd.DataFrame:
    """Per term: estimate, standard error, t (z for HC3), p-value and the (1 - alpha) CI."""
    ci = results.conf_int(alpha=alpha)
    return pd.DataFrame(
        {
            "estimate": results.params,
            "std_error": results.bse,
            "t": results.tvalues,
            "p_value": results.pvalues,
            "ci_low": ci.iloc[:, 0],
            "ci_high": ci.iloc[:, 1],
        }
    )


def variance_inflation(X: pd.DataFrame) -> pd.Series:
    """VIF of each predictor (not the constant): 1 / (1 - R²) of it regressed on the others."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    values = X.to_numpy(float)
    with np.errstate(divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # near-singular designs: reported as huge/infinite VIFs instead
        vif = [variance_inflation_factor(values, i) for i in range(1, values.shape[1])]
    return pd.Series(vif, index=X.columns[1:], dtype=float)


def rmse(actual: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual, float) - np.asarray(predicted, float)) ** 2)))


def fold_rmse(X: pd.DataFrame, y: pd.Series, strategies: dict, target: str, folds: int, seed: int) -> list[float]:
    """k-fold CV RMSE (log scale) with imputation and scaling refitted inside every fold.

    Rows whose target was missing train (imputed, as in the main fit) but are never scored:
    scoring against an imputed value would measure the imputation, not the model.
    """
    from sklearn.model_selection import KFold

    scores = []
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    for number, (fit_rows, val_rows) in enumerate(splitter.split(X), start=1):
        prep = Preprocessor(strategies, target, where=f"training rows of CV fold {number} (--cv-folds 0 skips CV)")
        prep.fit(X.iloc[fit_rows], y.iloc[fit_rows])
        results = fit_ols(prep.transform(X.iloc[fit_rows]), prep.transform_target(y.iloc[fit_rows]), robust=False)
        scored = y.iloc[val_rows].notna().to_numpy()
        if not scored.any():
            continue
        predicted = results.predict(prep.transform(X.iloc[val_rows]))[scored]
        scores.append(rmse(np.log1p(y.iloc[val_rows][scored]), predicted))
    return scores
