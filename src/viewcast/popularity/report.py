"""Figures and the HTML reports of a popularity run and of a sweep.

Figures: hit ratio per cache policy against cache size (the replay), hit@K bars of the model, the
baselines and the oracle, learning curves, and predicted against actual shares. Built with
matplotlib's Figure API (:func:`viewcast.report.figures.new_figure`), written next to the report
and embedded in it, so ``report.html`` is one self-contained file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from viewcast.io.outputs import OutputFolder
from viewcast.popularity.evaluation import KS, METRICS
from viewcast.popularity.features import BASELINES
from viewcast.popularity.learned_policy import against_best
from viewcast.popularity.replay import LABELS
from viewcast.report.figures import new_figure
from viewcast.report.html import embed_png, render_report

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from viewcast.nn import TrainHistory
    from viewcast.popularity.result import PopularityResult, SweepResult

CURVES_SHOWN = 6
STYLES: dict[str, dict[str, Any]] = {
    "learned": {"linewidth": 2.6, "color": "black"},
    "decayed_score": {"linewidth": 1.6, "color": "grey"},
    "belady": {"linestyle": ":"},
    "belady_bypass": {"linestyle": "--", "color": "black"},
}


def replay_figure(rows: list[dict[str, Any]]) -> Figure:
    """Hit ratio against cache size (share of the catalogue), one line per policy."""
    fig, axes = new_figure(width=8, height=4.2)
    ax = axes[0, 0]
    frame = pd.DataFrame(rows).dropna(subset=["hit_ratio"])
    for policy, part in frame.groupby("policy", sort=False):
        style = STYLES.get(policy, {})
        ax.plot(part["size_fraction"] * 100, part["hit_ratio"], marker="o", label=LABELS[policy], **style)
    ax.set(xscale="log", xlabel="cache size (% of the catalogue)", ylabel="hit ratio (test requests)")
    ax.set_title("Replay of the test period's requests in time order")
    ax.legend(fontsize=8)
    return fig


def hit_bars_figure(metrics: dict[str, Any]) -> Figure:
    """hit@K of the model, every baseline and the oracle."""
    names = ["model", *BASELINES, "oracle"]
    values = [metrics["model"], *(metrics["baselines"][b] for b in BASELINES), metrics["oracle"]]
    fig, axes = new_figure(width=9, height=3.8)
    ax = axes[0, 0]
    width = 0.8 / len(KS)
    x = np.arange(len(names))
    for i, k in enumerate(KS):
        ax.bar(x + i * width, [v[f"hit@{k}"] for v in values], width, label=f"K = {k}")
    ax.set_xticks(x + width, names)
    ax.set(ylabel="cache hit ratio", title="share of test requests served by a cache of the top K")
    ax.legend()
    return fig


def learning_curves_figure(histories: list[tuple[str, TrainHistory]]) -> Figure:
    fig, axes = new_figure(1, 2, width=11, height=4)
    loss_ax, hit_ax = axes[0]
    for label, history in histories:
        line = loss_ax.plot(history.train_loss, label=f"{label} (train)")[0]
        if history.val_loss:
            loss_ax.plot(history.val_loss, linestyle="--", color=line.get_color())
        hit_ax.plot(history.val_metric, color=line.get_color(), label=label)
    loss_ax.set(title="loss (solid: train, dashed: validation)", xlabel="epoch", yscale="log")
    hit_ax.set(title="validation hit@50", xlabel="epoch")
    hit_ax.legend(fontsize=7)
    return fig


def predicted_vs_actual_figure(predictions: pd.DataFrame) -> Figure:
    fig, axes = new_figure(1, 2, width=11, height=4.5)
    floor = 1e-6
    for ax, column, title in ((axes[0, 0], "predicted", "model"), (axes[0, 1], "baseline_moving_average", "moving average")):
        if not predictions.empty:
            ax.scatter(np.maximum(predictions[column], floor), np.maximum(predictions["share"], floor), s=3, alpha=0.25)
            top = max(float(predictions["share"].max()), float(predictions[column].max()), floor * 10)
            ax.plot([floor, top], [floor, top], color="grey", linewidth=1)
        ax.set(xscale="log", yscale="log", xlabel="predicted share", ylabel="actual share", title=title)
    fig.suptitle("test slots: the model's top candidates and every requested one (zeros drawn at 1e-6)")
    return fig


def _caching_rows(metrics: dict[str, Any], model_label: str) -> list[tuple[str, dict[str, float]]]:
    rows = [(model_label, metrics["model"])] + [(name, metrics["baselines"][name]) for name in BASELINES]
    return rows + [("oracle (true top K)", metrics["oracle"])]


def _replay_context(out: OutputFolder, replay: dict[str, Any] | None) -> dict[str, Any]:
    if not replay:
        return {"replay": None}
    frame = pd.DataFrame(replay["rows"])
    sizes = sorted(frame["size_fraction"].unique())
    table = [
        {
            "label": LABELS[policy],
            "learned": policy == "learned",
            "hits": [part.set_index("size_fraction")["hit_ratio"].get(size) for size in sizes],
            "speed": part["requests_per_second"].dropna().median() if part["requests_per_second"].notna().any() else None,
        }
        for policy, part in frame.groupby("policy", sort=False)
    ]
    items = frame.drop_duplicates("size_fraction").set_index("size_fraction")["size_items"]
    return {
        "replay": replay,
        "replay_sizes": [(size * 100, int(items[size])) for size in sizes],
        "replay_table": table,
        "replay_verdict": [{**row, "best_label": LABELS[row["best_policy"]]} for row in against_best(replay["rows"])],
        "replay_png": embed_png(out.figure("replay.png", replay_figure(replay["rows"]))),
    }


def write_run_report(out: OutputFolder, result: PopularityResult) -> None:
    """Figures and ``report.html`` of one run, into its output folder."""
    metrics = result.metrics
    html = render_report(
        "popularity.html",
        metrics=METRICS,
        caching=_caching_rows(metrics, "model"),
        config=result.config.model_dump(),
        data=result.data,
        split=metrics["split"],
        kept_initial=metrics["kept_initial_weights"],
        best_epoch=result.history.best_epoch,
        hits=embed_png(out.figure("hit_ratio.png", hit_bars_figure(metrics))),
        curves=embed_png(out.figure("learning_curves.png", learning_curves_figure([("model", result.history)]))),
        scatter=embed_png(out.figure("predicted_vs_actual.png", predicted_vs_actual_figure(result.predictions))),
        **_replay_context(out, result.replay),
    )
    out.text("report.html", html)


def write_sweep_report(out: OutputFolder, sweep: SweepResult) -> None:
    """Figures and ``report.html`` of a sweep: the ranking, then the best run in detail."""
    table = sweep.table
    best = sweep.best
    shown = [
        (f"run {r}: {sweep.runs[int(r)].config.cell}, {sweep.runs[int(r)].config.loss}", sweep.runs[int(r)].history)
        for r in table["run"].iloc[:CURVES_SHOWN]
    ]
    html = render_report(
        "popularity_sweep.html",
        table=table.to_dict("records"),
        varied=sweep.varied,
        metrics=METRICS,
        caching=_caching_rows(best.metrics, "model (best run)"),
        best_run=int(table["run"].iloc[0]),
        config=best.config.model_dump(),
        split=best.metrics["split"],
        hits=embed_png(out.figure("hit_ratio.png", hit_bars_figure(best.metrics))),
        curves=embed_png(out.figure("learning_curves.png", learning_curves_figure(shown))),
        scatter=embed_png(out.figure("predicted_vs_actual.png", predicted_vs_actual_figure(best.predictions))),
        **_replay_context(out, best.replay),
    )
    out.text("report.html", html)
