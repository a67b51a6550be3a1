"""The three diagnostic figures of the report (matplotlib, Agg backend)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _figure(width: float = 6.4, height: float = 4.2):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def residuals_figure(fitted: np.ndarray, resid: np.ndarray, test_predicted: np.ndarray, test_actual: np.ndarray):
    """Residuals against fitted values: a funnel or a curve means the linear model misses something."""
    fig, ax = _figure()
    ax.scatter(fitted, resid, s=14, alpha=0.7, label="training")
    if len(test_actual):
        ax.scatter(test_predicted, test_actual - test_predicted, s=18, marker="x", color="C3", label="test")
    ax.axhline(0.0, color="grey", lw=1)
    ax.set_xlabel("fitted log1p(new followers)")
    ax.set_ylabel("residual (log scale)")
    ax.legend(frameon=False)
    return fig


def qq_figure(resid: np.ndarray):
    """Normal Q-Q plot of standardised training residuals: t-based CIs assume roughly normal errors."""
    from scipy import stats

    fig, ax = _figure(5.0, 4.6)
    standard = (resid - resid.mean()) / resid.std(ddof=1)
    (theoretical, ordered), _ = stats.probplot(standard, dist="norm")
    ax.scatter(theoretical, ordered, s=14, alpha=0.7)
    low, high = theoretical.min(), theoretical.max()
    ax.plot([low, high], [low, high], color="C3", lw=1)
    ax.set_xlabel("normal quantiles")
    ax.set_ylabel("standardised residual quantiles")
    return fig


def coefficients_figure(table: pd.DataFrame, ci_level: float):
    """Standardised estimates with their CIs, so effects of different units can be compared."""
    terms = table.drop(index="const").sort_values("estimate")
    fig, ax = _figure(6.4, 0.32 * len(terms) + 1.2)
    colours = np.where(terms["significant"], np.where(terms["estimate"] > 0, "C2", "C3"), "grey")
    y = np.arange(len(terms))
    errors = np.vstack([terms["estimate"] - terms["ci_low"], terms["ci_high"] - terms["estimate"]])
    for i, colour in enumerate(colours):
        ax.errorbar(terms["estimate"].iloc[i], y[i], xerr=errors[:, i : i + 1], fmt="o", color=colour, capsize=3)
    ax.axvline(0.0, color="grey", lw=1)
    ax.set_yticks(y, terms.index)
    ax.set_xlabel(f"effect of +1 SD on log1p(new followers), {ci_level:.0%} CI")
    return fig
