"""Plain-language reading of the fit: which drivers matter, and when not to trust it.

The target is ``log1p(newFollowers)``, so a coefficient ``b`` multiplies ``1 + new followers``
by ``exp(b)``: for numeric columns per standard deviation of the column, for a dummy when the
video has that level instead of the baseline. These are associations with other terms held
fixed, not causes; the report says so next to the list.
"""

from __future__ import annotations

import math

import pandas as pd

UNITS = {"length": "s", "avgwatchtime": "s", "totalplaytime": "s", "watchedfullvideo": "points", "foryoupct": "points"}


def _effect(coefficient: float, p_value: float) -> str:
    factor = math.exp(coefficient)
    return f"{(factor - 1) * 100:+.0f}% new followers (×{factor:.2f}, p = {p_value:.2g})"


def driver_sentence(term: str, row: pd.Series, dummies: dict[str, tuple[str, str, str]]) -> str:
    """One line per significant term; ``dummies`` maps a dummy to (column, level, baseline)."""
    if term in dummies:
        column, level, baseline = dummies[term]
        return f"{column} '{level}' instead of '{baseline}': {_effect(row['per_unit'], row['p_value'])}"
    unit = UNITS.get(term.lower(), term)
    effect = _effect(row["estimate"], row["p_value"])
    return f"{term}: one standard deviation more (≈ {row['train_sd']:,.3g} {unit}) goes with {effect}"


def drivers(table: pd.DataFrame, dummies: dict[str, tuple[str, str, str]], alpha: float) -> dict[str, list[str]]:
    """Significant terms at ``alpha`` (constant excluded), strongest first, split by sign."""
    terms = table.drop(index="const")
    significant = terms[terms["p_value"] < alpha]
    strongest = significant.reindex(significant["estimate"].abs().sort_values(ascending=False).index)
    return {
        "positive": [driver_sentence(t, r, dummies) for t, r in strongest.iterrows() if r["estimate"] > 0],
        "negative": [driver_sentence(t, r, dummies) for t, r in strongest.iterrows() if r["estimate"] < 0],
    }


def warnings_for(
    n_train: int, n_terms: int, vif: pd.Series, alpha: float, rows_per_term: float, vif_threshold: float
) -> list[str]:
    """What makes these statistics fragile: too few rows per term, collinearity, many tests."""
    found = []
    if n_train < rows_per_term * n_terms:
        found.append(
            f"Small sample: {n_train} training rows for {n_terms} terms ({n_train / n_terms:.1f} per term; "
            f"at least {rows_per_term:g} per term are advised). Coefficients are unstable, R² is optimistic "
            "(compare adjusted R² and the test/CV RMSE) and the list of drivers may change with more videos."
        )
    high = vif[vif > vif_threshold].sort_values(ascending=False)
    if len(high):
        listed = ", ".join(f"{term} ({value:.3g})" for term, value in high.items())
        found.append(
            f"Collinearity: variance inflation factor above {vif_threshold:g} for {listed}. These predictors "
            "carry overlapping information, so their separate coefficients, signs and p-values are unreliable "
            "even when the model predicts well."
        )
    tests = len(vif)
    if tests * alpha >= 0.5:
        found.append(
            f"{tests} terms are tested at alpha = {alpha:g}: about {tests * alpha:.1f} of them can look "
            "significant by chance alone."
        )
    return found
