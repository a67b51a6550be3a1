"""One recipe, fitted on some rows: design, alias check, OLS, Breusch–Pagan, standard errors.

Cross-validation folds, the hold-out split and the final model all call :func:`fit_recipe`, so
what is evaluated is exactly what is reported: imputation, log scale, aliasing and
standardisation are learnt inside every fit from its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from viewcast.errors import DataValidationError
from viewcast.followers.aliasing import Alias, find_aliases
from viewcast.followers.config import FollowersConfig
from viewcast.followers.data import CleanTable
from viewcast.followers.design import Design, candidate_sources, choose_baseline, expand, learn_fills
from viewcast.io.tables import column_key


@dataclass
class Fit:
    """A fitted recipe: its preprocessing, the OLS results and how its errors were chosen."""

    design: Design
    aliases: list[Alias]
    constant: list[str]  # terms constant in these rows, left out of this fit
    X: pd.DataFrame  # ``const`` + standardised terms
    y: pd.Series  # log1p(target), missing values filled
    results: object  # statsmodels RegressionResults with the chosen covariance
    breusch_pagan: dict[str, float]  # {"lm": statistic, "p_value": ...}
    scale: str  # "log" or "raw"
    target_fill: float | None = None  # value of a missing target (strategy mean/median/mode)
    hc3_undefined: bool = False  # HC3 was wanted but a row of leverage 1 leaves it undefined


def log_columns(table: CleanTable, scale: str, wanted: list[str]) -> list[str]:
    """The numeric columns read on the log1p scale under ``scale``."""
    if scale != "log":
        return []
    keys = {column_key(name) for name in wanted}
    return [c for c in table.numeric if column_key(c) in keys]


def table_levels(table: CleanTable) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Known levels (sorted) and baselines of every categorical column, from all clean rows.

    Fixing them on the whole table keeps the term names the same in every fold; a level absent
    from a fold's rows is a constant column there and leaves that fold's fit.
    """
    known = {c: sorted(set(table.levels[c])) for c in table.categorical}
    return known, {c: choose_baseline(table.levels[c]) for c in table.categorical}


def target_values(table: CleanTable, fills: dict[str, float]) -> pd.Series:
    """log1p of the target, a missing value replaced by its fill (strategy mean/median/mode)."""
    raw = table.values[table.target]
    if table.target in fills:
        raw = raw.fillna(fills[table.target])
    return np.log1p(raw.astype(float)).rename(f"log1p({table.target})")


def _probes(expanded: pd.DataFrame, raw_columns: list[str]) -> dict[str, pd.Series]:
    """Logs of the strictly positive raw-scale columns (see :mod:`viewcast.followers.aliasing`)."""
    return {c: np.log(expanded[c]) for c in raw_columns if (expanded[c] > 0).all()}


def fit_recipe(
    table: CleanTable,
    rows: np.ndarray,
    scale: str,
    config: FollowersConfig,
    *,
    where: str = "rows used",
    param: str | None = None,
) -> Fit:
    """Fit the whole recipe on ``rows`` (positions in ``table``); errors name ``where`` and ``param``."""
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import het_breuschpagan

    part = table.take(rows)
    fills = learn_fills(part.values, table.strategies)
    unfilled = [c for c in table.strategies if c not in fills]
    if unfilled:
        raise DataValidationError(f"{table.source}: column {unfilled[0]!r} has no recorded values in the {where}", param=param)
    known, baselines = table_levels(table)
    logged = log_columns(table, scale, config.log_columns)
    y = target_values(part, fills)
    expanded = expand(part.values, part.levels, table.numeric, logged, fills, known, baselines)
    spread = expanded.std(ddof=0)
    constant = [t for t in expanded.columns if not spread[t] > 0]
    candidates = expanded.drop(columns=constant)
    sources = candidate_sources(table.numeric, known, baselines)
    n_terms = candidates.shape[1] + 1
    if len(rows) <= n_terms:
        raise DataValidationError(
            f"{table.source}: the model has {n_terms} terms (constant, predictors and dummies) but the {where} hold only "
            f"{len(rows)} rows; it needs more rows than terms (leave columns out with ignore, raise min_level_count "
            "or lower test_size)",
            param=param,
        )
    probes = _probes(expanded, [c for c in table.numeric if c not in logged]) if logged else {}
    kept, aliases = find_aliases(
        candidates, config.alias_vif, {t: sources[t][0] for t in candidates.columns}, set(logged) & set(candidates), probes
    )
    design = Design(
        numeric=list(table.numeric),
        log_columns=logged,
        levels=known,
        baselines=baselines,
        fills={c: v for c, v in fills.items() if c != table.target},
        terms=kept,
        mean=candidates[kept].mean().to_numpy(float),
        scale=candidates[kept].std(ddof=0).to_numpy(float),
        sources=sources,
    )
    X = design.matrix(part.values, part.levels)
    classical = sm.OLS(y, X, hasconst=True).fit()
    lm, lm_p, _, _ = het_breuschpagan(np.asarray(classical.resid), X.to_numpy(float))
    robust = config.standard_errors == "hc3" or (config.standard_errors == "auto" and lm_p < config.bp_alpha)
    results, hc3_undefined = classical, False
    if robust:
        # a row with leverage 1 (a level seen once) is fitted exactly: HC3 divides 0 by 0 there
        hc3_undefined = bool(classical.get_influence().hat_matrix_diag.max() > 1.0 - 1e-8)
        if not hc3_undefined:
            results = sm.OLS(y, X, hasconst=True).fit(cov_type="HC3")
    return Fit(
        design=design,
        aliases=aliases,
        constant=constant,
        X=X,
        y=y,
        results=results,
        breusch_pagan={"lm": float(lm), "p_value": float(lm_p)},
        scale=scale,
        target_fill=fills.get(table.target),
        hc3_undefined=hc3_undefined,
    )
