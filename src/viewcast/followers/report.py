"""The follower-drivers report: three diagnostic figures and one self-contained HTML page."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from viewcast.followers.config import STUDY_FIGURES
from viewcast.followers.reading import ADJUSTMENT_NAMES
from viewcast.report.figures import drawable, name_fonts, new_figure
from viewcast.report.html import embed_png, render_report

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from viewcast.followers.result import FollowersResult


def residuals_figure(result: FollowersResult) -> Figure:
    """Residuals against fitted values: a funnel or a curve means the linear model misses something."""
    figure, axes = new_figure(width=6.4, height=4.2)
    ax = axes[0, 0]
    ax.scatter(result.fitted_log_, result.residuals_log_, s=14, alpha=0.7, label="fitted videos")
    if len(result.test_actual_log_):
        held = result.test_actual_log_ - result.test_predicted_log_
        ax.scatter(result.test_predicted_log_, held, s=18, marker="x", color="C3", label="held-out videos")
    ax.axhline(0.0, color="grey", lw=1)
    ax.set_xlabel(f"fitted log1p({drawable(result.config.target)})", fontfamily=name_fonts())
    ax.set_ylabel("residual (log scale)")
    ax.legend(frameon=False)
    return figure


def qq_figure(result: FollowersResult) -> Figure:
    """Normal Q-Q plot of standardised residuals: t-based intervals assume roughly normal errors."""
    from scipy import stats

    figure, axes = new_figure(width=5.0, height=4.6)
    ax = axes[0, 0]
    resid = result.residuals_log_
    standard = (resid - resid.mean()) / resid.std(ddof=1)
    (theoretical, ordered), _ = stats.probplot(standard, dist="norm")
    ax.scatter(theoretical, ordered, s=14, alpha=0.7)
    low, high = theoretical.min(), theoretical.max()
    ax.plot([low, high], [low, high], color="C3", lw=1)
    ax.set_xlabel("normal quantiles")
    ax.set_ylabel("standardised residual quantiles")
    return figure


def coefficients_figure(result: FollowersResult) -> Figure:
    """Standardised estimates with their CIs, so effects of different units can be compared."""
    terms = result.coefficients.drop(index="const").sort_values("estimate")
    figure, axes = new_figure(width=6.4, height=0.32 * len(terms) + 1.2)
    ax = axes[0, 0]
    colours = np.where(terms["driver"], np.where(terms["estimate"] > 0, "C2", "C3"), "grey")
    y = np.arange(len(terms))
    errors = np.vstack([terms["estimate"] - terms["ci_low"], terms["ci_high"] - terms["estimate"]])
    for i, colour in enumerate(colours):
        ax.errorbar(terms["estimate"].iloc[i], y[i], xerr=errors[:, i : i + 1], fmt="o", color=colour, capsize=3)
    ax.axvline(0.0, color="grey", lw=1)
    ax.set_yticks(y, [drawable(str(term)) for term in terms.index], fontfamily=name_fonts())
    ax.set_xlabel(f"effect of +1 SD on log1p(new followers), {1 - result.config.alpha:.0%} CI (drivers in colour)")
    return figure


def figures(result: FollowersResult) -> dict[str, Figure]:
    return {"residuals": residuals_figure(result), "qq": qq_figure(result), "coefficients": coefficients_figure(result)}


def what_if_rows(result: FollowersResult) -> tuple[list[str], list[dict[str, Any]]]:
    """The what-if table as a pivot: one row per level combination, one column per length."""
    table = result.what_if
    answers = ["expected_new_followers", "lo95", "hi95"]
    varied = [c for c in table.columns if c not in answers]
    length = next((c for c in varied if c.lower() == "length"), None)
    keys = [c for c in varied if c != length]
    lengths = sorted(table[length].unique()) if length else [None]
    rows = []
    for combo, group in table.groupby(keys, sort=False) if keys else [((), table)]:
        cells = {}
        for _, row in group.iterrows():
            cells[row[length] if length else None] = row[answers].to_dict()
        rows.append({"levels": dict(zip(keys, combo if isinstance(combo, tuple) else (combo,))), "cells": cells})
    headers = [f"{length} {value:g} s" if length else "typical video" for value in lengths]
    return headers, [{"levels": r["levels"], "cells": [r["cells"].get(v) for v in lengths]} for r in rows]


def html(result: FollowersResult, images: dict[str, str | os.PathLike[str]]) -> str:
    """The report page; ``images`` maps figure names to PNG files (embedded as data URIs)."""
    headers, what_if = what_if_rows(result)
    return render_report(
        "followers.html",
        result=result,
        study=STUDY_FIGURES,
        adjustment=ADJUSTMENT_NAMES[result.config.p_adjust],
        summary_text=result.summary_text_,
        rows=result.coefficients.reset_index().to_dict("records"),
        what_if_headers=headers,
        what_if_rows=what_if,
        typical=result.model.typical(),
        images={name: embed_png(path) for name, path in images.items()},
    )
