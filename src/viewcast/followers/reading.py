"""Plain-language reading of the fit: which drivers matter, what was decided, when not to trust it.

The target is ``log1p(newFollowers)``, so a coefficient ``b`` multiplies ``1 + new followers``
by ``exp(b)``: per unit of a raw column, per standard deviation when compared across columns,
for a dummy when the video has that level instead of the baseline. A column on the log1p scale
reads as an *elasticity*: 10% more of it goes with ``1.1^b - 1`` more new followers. These are
associations with the other terms held fixed, not causes; the report says so next to the list.
"""

from __future__ import annotations

import math

import pandas as pd

from viewcast.followers.aliasing import Alias

UNITS = {"length": "s", "avgwatchtime": "s", "totalplaytime": "s", "watchedfullvideo": "points", "foryoupct": "points"}
ADJUSTMENT_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini-Hochberg", "none": "no"}


def _p(row: pd.Series) -> str:
    adjusted = row["p_adjusted"]
    if adjusted == row["p_value"] or adjusted != adjusted:
        return f"p = {row['p_value']:.2g}"
    return f"p = {row['p_value']:.2g}, adjusted {adjusted:.2g}"


def _percent(factor: float) -> str:
    return f"{(factor - 1) * 100:+.1f}%" if abs(factor - 1) < 0.1 else f"{(factor - 1) * 100:+.0f}%"


def driver_sentence(term: str, row: pd.Series, levels: dict[str, tuple[str, str, str]]) -> str:
    """One line per driver; ``levels`` maps a dummy term to (column, level, baseline)."""
    if row["transform"] == "dummy":
        column, level, baseline = levels[term]
        factor = math.exp(row["per_unit"])
        return f"{column} '{level}' instead of '{baseline}': {_percent(factor)} new followers (×{factor:.2f}, {_p(row)})"
    if row["transform"] == "log1p":
        b = row["per_unit"]
        return (
            f"{row['column']}: 10% more goes with {_percent(1.1**b)} new followers "
            f"(elasticity {b:.2f}, 95% CI {row['per_unit_ci_low']:.2f} to {row['per_unit_ci_high']:.2f}, {_p(row)})"
        )
    unit = UNITS.get(term.lower(), "")
    per_sd = math.exp(row["estimate"])
    sd = f"≈ {row['train_sd']:,.3g}{' ' + unit if unit else ''}"
    return f"{term}: one standard deviation more ({sd}) goes with {_percent(per_sd)} new followers (×{per_sd:.2f}, {_p(row)})"


def drivers(table: pd.DataFrame, levels: dict[str, tuple[str, str, str]]) -> dict[str, list[str]]:
    """The drivers (adjusted p below alpha), strongest standardised effect first, split by sign."""
    chosen = table[table["driver"]]
    strongest = chosen.reindex(chosen["estimate"].abs().sort_values(ascending=False).index)
    return {
        "positive": [driver_sentence(t, r, levels) for t, r in strongest.iterrows() if r["estimate"] > 0],
        "negative": [driver_sentence(t, r, levels) for t, r in strongest.iterrows() if r["estimate"] < 0],
    }


def alias_note(alias: Alias, limit: float) -> str:
    """R-style: which term was aliased with which columns, how tightly, and what was kept."""
    partners = " and ".join(alias.partners) if len(alias.partners) < 3 else ", ".join(alias.partners)
    how = "a product or ratio of" if alias.via_log else "a linear combination of"
    tightness = "exactly" if alias.exact else f"nearly (R² = {alias.r2:.4f}, VIF {alias.vif:,.0f} > {limit:g})"
    choice = f"{alias.term}, the later in the model's order, was dropped (as R's lm does); kept {', '.join(alias.kept)}"
    return f"Aliased: {alias.term} is {tightness} {how} {partners}; their separate effects cannot be told apart, so {choice}."


def scale_note(scale: str, comparison: dict[str, dict], fixed: bool) -> str:
    """Why the counts are on this scale, with both CV figures when both were tried."""
    figures = ", ".join(
        f"{name} {c['cv_rmse_log_mean']:.3f}" for name, c in comparison.items() if c["cv_rmse_log_mean"] is not None
    )
    where = "log1p scale (read as elasticities)" if scale == "log" else "raw scale (per unit)"
    if fixed:
        return f"Counts are on the {where}, as configured" + (f"; CV RMSE {figures}." if figures else ".")
    if len(comparison) == 1:
        return f"Counts are on the {where}: none of the log_columns is a predictor in these data."
    return f"Counts are on the {where}: it has the lower {next(iter(comparison.values()))['folds']}-fold CV RMSE (log1p of the target; {figures})."


def errors_note(
    cov_type: str, breusch_pagan: dict[str, float], setting: str, bp_alpha: float, hc3_undefined: bool = False
) -> str:
    """Which standard errors, and the evidence that chose them."""
    test = f"Breusch-Pagan LM = {breusch_pagan['lm']:.2f}, p = {breusch_pagan['p_value']:.2g}"
    if hc3_undefined:
        return (
            f"HC3 standard errors were wanted ({test}) but are undefined here: a level seen in a single row is fitted "
            "exactly. Classical standard errors are shown; a higher min_level_count drops such levels."
        )
    if setting != "auto":
        kind = "HC3 heteroscedasticity-robust" if cov_type == "HC3" else "classical"
        return f"Standard errors are {kind}, as configured ({test})."
    if cov_type == "HC3":
        return f"The residual spread changes with the predictors ({test} < {bp_alpha:g}), so standard errors are HC3 heteroscedasticity-robust."
    return f"No evidence that the residual spread changes with the predictors ({test} ≥ {bp_alpha:g}): classical standard errors."


def warnings_for(
    n_rows: int, n_terms: int, vif: pd.Series, alpha: float, rows_per_term: float, vif_threshold: float, p_adjust: str
) -> list[str]:
    """What makes these statistics fragile: too few rows per term, collinearity, many tests."""
    found = []
    if n_rows < rows_per_term * n_terms:
        found.append(
            f"Small sample: {n_rows} rows for {n_terms} terms ({n_rows / n_terms:.1f} per term; at least "
            f"{rows_per_term:g} per term are advised). Coefficients are unstable, R² is optimistic (compare adjusted R² "
            "and the test/CV RMSE) and the list of drivers may change with more videos."
        )
    high = vif[vif > vif_threshold].sort_values(ascending=False)
    if len(high):
        listed = ", ".join(f"{term} ({value:.3g})" for term, value in high.items())
        found.append(
            f"Collinearity: variance inflation factor above {vif_threshold:g} for {listed}. These predictors carry "
            "overlapping information, so their separate coefficients and p-values are less certain."
        )
    tests = len(vif)
    if p_adjust == "none" and tests * alpha >= 0.5:
        found.append(
            f"{tests} terms are tested at alpha = {alpha:g} without a multiple-testing correction: about "
            f"{tests * alpha:.1f} of them can look significant by chance alone."
        )
    return found
