"""Figures and the HTML report of a popularity sweep (learning curves, predicted vs actual, caching)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from viewcast.atomic import save_figure
from viewcast.popularity.evaluate import BASELINES, KS, METRICS
from viewcast.report.html import embed_png, write_report

if TYPE_CHECKING:
    from viewcast.popularity.sweep import SweepResult

CURVES_SHOWN = 6


def _learning_curves(sweep: SweepResult, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, hit_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for run_id in sweep.table["run"].iloc[:CURVES_SHOWN]:
        run = sweep.runs[int(run_id)]
        label = f"run {run_id}: {run.config.cell}, {run.config.loss}"
        line = loss_ax.plot(run.history.train_loss, label=f"{label} (train)")[0]
        if run.history.val_loss:
            loss_ax.plot(run.history.val_loss, linestyle="--", color=line.get_color())
        hit_ax.plot(run.history.val_metric, color=line.get_color(), label=label)
    loss_ax.set(title="loss (solid: train, dashed: validation)", xlabel="epoch", yscale="log")
    hit_ax.set(title="validation hit@50", xlabel="epoch")
    hit_ax.legend(fontsize=7)
    return save_figure(path, fig)


def _predicted_vs_actual(sweep: SweepResult, path: Path) -> Path:
    import matplotlib.pyplot as plt

    frame = sweep.best.predictions
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    floor = 1e-6
    for ax, column, title in ((axes[0], "predicted", "best model"), (axes[1], "baseline_moving_average", "moving average")):
        ax.scatter(np.maximum(frame[column], floor), np.maximum(frame["share"], floor), s=3, alpha=0.25)
        top = max(float(frame["share"].max()), float(frame[column].max()), floor * 10)
        ax.plot([floor, top], [floor, top], color="grey", linewidth=1)
        ax.set(xscale="log", yscale="log", xlabel="predicted share", ylabel="actual share", title=title)
    fig.suptitle("test slots, every candidate (zeros drawn at 1e-6)")
    return save_figure(path, fig)


def _hit_bars(sweep: SweepResult, path: Path) -> Path:
    import matplotlib.pyplot as plt

    metrics = sweep.best.metrics
    names = ["model", *BASELINES, "oracle"]
    values = [metrics["model"], *(metrics["baselines"][b] for b in BASELINES), metrics["oracle"]]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    width = 0.8 / len(KS)
    x = np.arange(len(names))
    for i, k in enumerate(KS):
        ax.bar(x + i * width, [v[f"hit@{k}"] for v in values], width, label=f"K = {k}")
    ax.set_xticks(x + width, names)
    ax.set(ylabel="cache hit ratio", title="share of test requests served by a cache of the top K")
    ax.legend()
    return save_figure(path, fig)


def write_sweep_report(path: Path, sweep: SweepResult, figures: Path) -> Path:
    best = sweep.best
    caching = [("model (best run)", best.metrics["model"])]
    caching += [(name, best.metrics["baselines"][name]) for name in BASELINES]
    caching.append(("oracle (true top K)", best.metrics["oracle"]))
    return write_report(
        path,
        "popularity_sweep.html",
        table=sweep.table.to_dict("records"),
        varied=sweep.varied,
        metrics=METRICS,
        caching=caching,
        best_run=int(sweep.table["run"].iloc[0]),
        config=best.config.model_dump(),
        split=best.metrics["split"],
        curves=embed_png(_learning_curves(sweep, figures / "learning_curves.png")),
        scatter=embed_png(_predicted_vs_actual(sweep, figures / "predicted_vs_actual.png")),
        hits=embed_png(_hit_bars(sweep, figures / "hit_ratio.png")),
    )
