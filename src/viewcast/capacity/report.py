"""A capacity result as files: plan.csv, plan_backtest.csv, metrics.json, plots and report.html."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from viewcast.capacity.backtest import PLANS
from viewcast.forecasting.report import plan_figure
from viewcast.io.outputs import OutputFolder
from viewcast.report.figures import COUNT_FORMATTER, label_ticks, new_figure
from viewcast.report.html import embed_png, render_report

if TYPE_CHECKING:
    from viewcast.capacity.result import CapacityResult

#: How each plan is named and drawn.
LABELS = {
    "cost_plan": "cost plan",
    "hi95_rule": "95% bound + headroom (old rule)",
    "point_plan": "point forecast",
    "oracle": "oracle (perfect foresight)",
}
COLORS = {"cost_plan": "#2e9e4f", "hi95_rule": "#d0582b", "point_plan": "#8aa0c2", "oracle": "#1d2430"}


def backtest_figure(result: CapacityResult) -> Figure | None:
    """Each plan's servers on the replayed days beside the oracle's, and what each cost."""
    backtest = result.backtest
    if backtest is None:
        return None
    summary = backtest.summary()["plans"]
    fig, axes = new_figure(1, 2, width=13, height=4.0, gridspec_kw={"width_ratios": [2.2, 1]})
    ax = axes[0, 0]
    x = np.arange(len(backtest.dates))
    for name in PLANS:
        ax.step(
            x, backtest.servers[name], where="mid", color=COLORS[name], lw=1.8 if name == "cost_plan" else 1.1, label=LABELS[name]
        )
    short = backtest.servers["cost_plan"] < backtest.servers["oracle"]
    ax.scatter(x[short], backtest.servers["cost_plan"][short], color="#b00020", s=14, zorder=3, label="cost plan short")
    label_ticks(ax, backtest.dates)
    ax.set_ylabel("servers")
    ax.set_title(f"Plans made {backtest.lead_time + 1}-{backtest.lead_time + 7} days ahead, replayed")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    ax = axes[0, 1]
    names = list(PLANS)[::-1]
    servers = [summary[n]["server_cost"] for n in names]
    shortfall = [summary[n]["shortfall_cost"] for n in names]
    ax.barh([LABELS[n] for n in names], servers, color=[COLORS[n] for n in names], label="servers")
    ax.barh([LABELS[n] for n in names], shortfall, left=servers, color="#b00020", alpha=0.6, label="shortfall")
    for i, n in enumerate(names):
        ratio = summary[n]["cost_to_oracle"]
        ax.text(servers[i] + shortfall[i], i, f" {ratio:.2f}x" if ratio is not None else "", va="center", fontsize=8)
    ax.xaxis.set_major_formatter(COUNT_FORMATTER)
    ax.set_xlabel("realised cost (USD); label: x the oracle's")
    ax.legend(fontsize=7, loc="lower right")
    return fig


def write_report(result: CapacityResult, out: OutputFolder) -> None:
    """Every file of a capacity run, into a staging folder (:func:`viewcast.io.outputs.output_folder`)."""
    metrics = result.to_dict()
    out.csv("plan.csv", result.daily())
    if result.backtest is not None:
        out.csv("plan_backtest.csv", result.backtest_table())
    out.json("metrics.json", metrics)
    figures = {"plan": plan_figure(result.plan), "backtest": backtest_figure(result)}
    images = {name: embed_png(out.figure(f"{name}.png", fig)) for name, fig in figures.items() if fig is not None}
    html = render_report("capacity.html", metrics=metrics, labels=LABELS, plans=PLANS, images=images)
    out.text("report.html", html)
