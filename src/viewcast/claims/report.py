"""Figures and HTML reports of the claims EDA and evaluation (matplotlib's Figure API, Jinja2).

Each ``*_figures`` function returns ``{name: Figure}``; :func:`write_figures` saves them as
``<name>.png`` into an output folder and gives back embeddable images for the report, whose
template (``claims_eda.html``, ``claims_evaluate.html``) refers to them by the same names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from viewcast.claims.data import CLASSES, COUNTS, DURATION, LABEL
from viewcast.report.figures import new_figure
from viewcast.report.html import embed_png, render_report

if TYPE_CHECKING:
    from viewcast.claims.result import EdaResult, EvaluationResult
    from viewcast.io.outputs import OutputFolder

COLORS = {"claim": "#d9480f", "opinion": "#2f6fde"}
PAIR_PLOT_POINTS = 3000


def write_figures(out: OutputFolder, figures: dict[str, Figure]) -> dict[str, str]:
    """Save each figure as ``<name>.png``; return ``{name: data URI}`` for the HTML report."""
    return {name: embed_png(out.figure(f"{name}.png", figure)) for name, figure in figures.items()}


# -- EDA ---------------------------------------------------------------------------------------


def eda_figures(result: EdaResult) -> dict[str, Figure]:
    """Class balance, duration by class (when the table has durations) and the counts' pair plot."""
    frame = result.frame_
    figures = {"class_balance": _balance_figure(result.class_counts)}
    if DURATION in frame.columns and frame[DURATION].notna().any():
        figures["duration_by_class"] = _duration_figure(frame)
    figures["counts_pairplot"] = _pair_figure(frame)
    return figures


def eda_html(result: EdaResult, images: dict[str, str]) -> str:
    return render_report("claims_eda.html", eda=result.to_dict(), plots=images)


def _balance_figure(counts: dict[str, int]) -> Figure:
    figure, axes = new_figure(width=4, height=3)
    ax = axes[0, 0]
    ax.bar(list(counts), list(counts.values()), color=[COLORS[c] for c in counts])
    for i, v in enumerate(counts.values()):
        ax.text(i, v, f"{v:,}", ha="center", va="bottom")
    ax.set_ylabel("videos")
    ax.set_title("class balance")
    return figure


def _duration_figure(frame: Any) -> Figure:
    figure, axes = new_figure(width=6, height=3.5)
    ax = axes[0, 0]
    bins = np.histogram_bin_edges(frame[DURATION].dropna(), bins=30)
    for c in CLASSES:
        ax.hist(frame.loc[frame[LABEL] == c, DURATION].dropna(), bins=bins, alpha=0.55, label=c, color=COLORS[c])
    ax.set_xlabel(DURATION)
    ax.set_ylabel("videos")
    ax.set_title("video duration by class")
    ax.legend()
    return figure


def _pair_figure(frame: Any, seed: int = 0) -> Figure:
    """Pair plot of log10(1 + count) for the five counts, coloured by class (a sample of rows)."""
    sample = frame.sample(min(len(frame), PAIR_PLOT_POINTS), random_state=seed)
    logs = np.log10(1 + sample[list(COUNTS)].to_numpy(float))
    labels = sample[LABEL].to_numpy()
    k = len(COUNTS)
    figure, axes = new_figure(k, k, width=9, height=9)
    for i in range(k):
        for j in range(k):
            ax = axes[i, j]
            for c in CLASSES:
                mask = labels == c
                if i == j:
                    ax.hist(logs[mask, i], bins=30, alpha=0.55, color=COLORS[c], label=c)
                else:
                    ax.scatter(logs[mask, j], logs[mask, i], s=2, alpha=0.35, color=COLORS[c])
            if i == k - 1:
                ax.set_xlabel(COUNTS[j].replace("video_", "").replace("_count", ""))
            if j == 0:
                ax.set_ylabel(COUNTS[i].replace("video_", "").replace("_count", ""))
    axes[0, 0].legend(fontsize=8)
    figure.suptitle("log10(1 + count) by class")
    return figure


# -- evaluation --------------------------------------------------------------------------------


def evaluation_figures(result: EvaluationResult) -> dict[str, Figure]:
    """Confusion matrix, calibration and accuracy on the stress copies."""
    return {
        "confusion": _confusion_figure(result.metrics["confusion"]),
        "calibration": _calibration_figure(result.y_true_, result.p_opinion_),
        "stress": _stress_figure(result.metrics["accuracy"], result.stress),
    }


def evaluation_html(result: EvaluationResult, images: dict[str, str]) -> str:
    misclassified = result.misclassified.head(20).to_dict("records")
    return render_report("claims_evaluate.html", result=result.to_dict(), plots=images, misclassified=misclassified)


def _confusion_figure(confusion: list[list[int]]) -> Figure:
    figure, axes = new_figure(width=4, height=3.5)
    ax = axes[0, 0]
    matrix = np.asarray(confusion)
    ax.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, f"{value:,}", ha="center", va="center", color="white" if value > matrix.max() / 2 else "black")
    ax.set_xticks([0, 1], list(CLASSES))
    ax.set_yticks([0, 1], list(CLASSES))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("confusion matrix (test split)")
    return figure


def _calibration_figure(y: np.ndarray, p: np.ndarray, bins: int = 10) -> Figure:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    present = [b for b in range(bins) if (which == b).any()]
    figure, axes = new_figure(width=4.5, height=4)
    ax = axes[0, 0]
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    ax.plot([p[which == b].mean() for b in present], [y[which == b].mean() for b in present], "o-", label="model")
    ax.set_xlabel("predicted P(opinion)")
    ax.set_ylabel("observed share of opinions")
    ax.set_title("calibration (test split)")
    ax.legend()
    return figure


def _stress_figure(base: float, stress: dict[str, dict[str, Any]]) -> Figure:
    names = ["test split", *stress]
    values = [base, *(s["accuracy"] for s in stress.values())]
    figure, axes = new_figure(width=6, height=3)
    ax = axes[0, 0]
    ax.barh(names[::-1], values[::-1], color=["#2f6fde"] * len(stress) + ["#1f4fa8"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy")
    ax.set_title("accuracy when the shortcuts are taken away")
    for i, v in enumerate(values[::-1]):
        ax.text(min(v, 0.98), i, f"{v:.3f}", va="center", ha="right", color="white")
    return figure
