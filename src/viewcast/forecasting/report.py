"""A forecast result as files: forecast.csv, metrics.json, plots and a self-contained report.html."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from viewcast.forecasting.evaluation.intervals import OWN_ORIGINS
from viewcast.forecasting.holiday_effects import holiday_days
from viewcast.forecasting.total import DIRECT
from viewcast.io.outputs import OutputFolder
from viewcast.report.figures import COUNT_FORMATTER, drawable, label_ticks, name_fonts, new_figure
from viewcast.report.html import embed_png, render_report

if TYPE_CHECKING:
    from viewcast.forecasting.result import ForecastResult

MAX_SERIES_PLOTTED = 5
CHOSEN_COLOR, OTHER_COLOR, INK, BAND = "#2e9e4f", "#8aa0c2", "#1d2430", "#2f6fde"
RESERVED_COLOR, ON_DEMAND_COLOR, PEAK_COLOR = "#1f4fa8", "#8fb3ee", "#d0582b"


def _panel_plots(result: ForecastResult) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(title, history, forecast) to draw: the total first when there are several series."""
    plots = []
    series = result.forecast["series"].unique()
    if len(series) > 1:
        history = result.history.groupby("date", sort=False)["views"].sum().reset_index()
        plots.append(("all series together (what capacity is planned on)", history, result.total))
    volume = result.forecast.groupby("series")["point"].sum().sort_values(ascending=False)
    for name in volume.index[:MAX_SERIES_PLOTTED]:
        plots.append(
            (
                str(name) if len(series) == 1 else f"series {name}",
                result.history[result.history["series"] == name],
                result.forecast[result.forecast["series"] == name],
            )
        )
    return plots


def forecast_figure(result: ForecastResult) -> Figure:
    """History, point forecast and both bands of the total and the largest series."""
    plots = _panel_plots(result)
    unit = "day" if result.axis.kind == "index" else "date"
    fig, axes = new_figure(len(plots), 1, width=10, height=3.3 * len(plots))
    for ax, (title, hist, fc) in zip(axes[:, 0], plots):
        x_hist = np.arange(len(hist))
        x_fc = len(hist) + np.arange(len(fc))
        ax.plot(x_hist, hist["views"], color=INK, lw=1.3, label="history")
        if np.allclose(fc[["lo95", "hi95"]], fc[["lo80", "hi80"]]):
            # too few backtest errors to tell the two apart (the run's notes say so): one band, named for both
            ax.fill_between(x_fc, fc["lo80"], fc["hi80"], color=BAND, alpha=0.3, label="80% = 95% interval")
        else:
            ax.fill_between(x_fc, fc["lo95"], fc["hi95"], color=BAND, alpha=0.18, label="95% interval")
            ax.fill_between(x_fc, fc["lo80"], fc["hi80"], color=BAND, alpha=0.3, label="80% interval")
        ax.plot(x_fc, fc["point"], color=BAND, lw=1.8, label=f"forecast ({result.chosen})")
        ax.axvline(len(hist) - 0.5, color="grey", ls=":", lw=1)
        label_ticks(ax, [str(v) for v in hist["date"]] + [str(v) for v in fc["date"]])
        ax.set_title(drawable(title), fontsize=10, fontfamily=name_fonts())
        ax.set_xlabel(unit)
        ax.set_ylabel("views per day")
        ax.yaxis.set_major_formatter(COUNT_FORMATTER)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper left", fontsize=8)
    count = result.forecast["series"].nunique()
    if count > MAX_SERIES_PLOTTED:
        fig.suptitle(f"Largest {MAX_SERIES_PLOTTED} of {count} series by forecast volume", fontsize=9)
    return fig


def plan_figure(plan: dict, xlabel: str = "day") -> Figure:
    """A capacity plan's reserved and on-demand servers per day, with the views they are planned on.

    The views axis is scaled so that a server's worth of views sits at one server: the planned
    views line meets the top of the fleet it needs, and reserved servers above it are visible as
    the spare they are. (The same figure serves ``viewcast forecast`` and ``viewcast capacity``.)
    """
    daily = pd.DataFrame(plan["daily"])
    fig, axes = new_figure(width=12, height=3.8)
    ax = axes[0, 0]
    x = np.arange(len(daily))
    ax.bar(x, daily["reserved"], color=RESERVED_COLOR, label="reserved")
    ax.bar(x, daily["on_demand"], bottom=daily["reserved"], color=ON_DEMAND_COLOR, label="on-demand")
    peak = int(np.argmax(daily["servers"]))
    ax.bar([peak], [daily["on_demand"].iat[peak]], bottom=[daily["reserved"].iat[peak]], color=PEAK_COLOR,
           label=f"peak: {daily['servers'].iat[peak]}")  # fmt: skip
    locked = int(daily["within_lead_time"].sum())
    if locked:
        ax.axvspan(-0.5, locked - 0.5, color="grey", alpha=0.12, label="inside the lead time")
    ax.set_ylabel("servers")
    ax.set_xlabel(xlabel)
    label_ticks(ax, [str(d) for d in daily["date"]])
    views = ax.twinx()
    views.plot(
        x, daily["planning_views"], color=INK, lw=1.2, label=f"views at the {plan['planning_quantile']:.3g} quantile (planned on)"
    )
    views.plot(x, daily["point_views"], color=BAND, lw=1.2, ls="--", label="expected views")
    views.set_ylabel("views per day")
    views.yaxis.set_major_formatter(COUNT_FORMATTER)
    assumed = plan["assumptions"]
    per_server = assumed["views_per_server_day"] / (assumed["peak_factor"] * (1 + assumed["headroom"]))
    top = max(ax.get_ylim()[1], float(daily["planning_views"].max()) / per_server) * 1.05
    ax.set_ylim(0, top)
    views.set_ylim(0, top * per_server)
    handles = ax.get_legend_handles_labels()[0] + views.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="upper left", bbox_to_anchor=(1.12, 1.0))
    ax.set_title(f"Servers per day: {plan['server_days']:,} server-days, expected cost ${plan['expected_cost']:,.0f}")
    return fig


def loss_figure(result: ForecastResult) -> Figure | None:
    """The LSTM's training and validation loss per epoch (None when it was not trained)."""
    history = result.lstm_history
    if not history or not history.get("train_loss"):
        return None
    fig, axes = new_figure(width=7, height=3.5)
    ax = axes[0, 0]
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], label="training loss")
    if history.get("val_loss"):
        ax.plot(epochs, history["val_loss"], label="validation loss")
    ax.axvline(history["best_epoch"] + 1, color="grey", ls="--", lw=1, label="restored epoch")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE on MinMax-scaled views")
    ax.set_yscale("log")
    ax.set_title("Study LSTM: training curves")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def backtest_figure(result: ForecastResult) -> Figure | None:
    """Backtest error of each member and the combination relative to seasonal naive, and (after
    a fresh run) the largest series' most recent backtest windows. None for older saved models."""
    members = result.backtest.get("members")
    if not members:
        return None
    rows = {name: m.get("relative_mae") for name, m in members.items()}
    rows |= {f"{name} (report only)": m.get("relative_mae") for name, m in result.backtest.get("reported_only", {}).items()}
    if len(members) > 1:
        rows["combination"] = result.backtest["combination"].get("relative_mae")
    names = [n for n, v in rows.items() if v is not None]
    detail = result.backtest_detail
    fig, axes = new_figure(1, 2 if detail is not None else 1, width=12 if detail is not None else 6, height=3.8)
    ax = axes[0, 0]
    colors = [CHOSEN_COLOR if n in ("combination", result.chosen) else OTHER_COLOR for n in names]
    ax.barh(names[::-1], [rows[n] for n in names][::-1], color=colors[::-1])
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.set_xlabel("backtest MAE / seasonal naive's (geometric mean over series; lower is better)")
    ax.set_title("Members and their combination")
    if detail is not None:
        ax = axes[0, 1]
        series = int(np.argmax(detail.volume))
        recent = [k for k in range(min(3, detail.backtest_origins))][::-1]
        steps = detail.plan.window
        for j, k in enumerate(recent):
            x = j * (steps + 1) + np.arange(steps)
            ax.plot(x, detail.actual[series, k], color=INK, lw=1.8, label="actual" if j == 0 else None)
            ax.plot(x, detail.combined[series, k], color=BAND, lw=1.6, label="combined" if j == 0 else None)
            for m, name in enumerate(detail.members if len(detail.members) > 1 else ()):
                ax.plot(x, detail.forecasts[m, series, k], lw=0.7, alpha=0.7, color=f"C{m + 2}", label=name if j == 0 else None)
        ax.set_xticks([j * (steps + 1) + steps / 2 for j in range(len(recent))], [f"origin -{k * 7 + steps}d" for k in recent])
        name = drawable(repr(detail.ids[series]))
        ax.set_title(f"Recent backtest windows of {name} ({steps} days each)", fontfamily=name_fonts())
        ax.set_ylabel("views per day")
        ax.yaxis.set_major_formatter(COUNT_FORMATTER)
        ax.legend(fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
    return fig


def holidays_ahead(result: ForecastResult) -> tuple[str | None, list[tuple[str, str]]]:
    """The model's holiday country (None: no calendar, or day numbers) and the holidays in the
    forecast's days, as (date, name)."""
    country = getattr(result.model.engine, "holidays", None)  # a model of an older viewcast has none
    if country is None or result.axis.kind != "date":
        return None, []
    dates = pd.to_datetime(result.total["date"])
    first = dates.min()
    names = holiday_days(country, first.strftime("%Y-%m-%d"), 0, (dates.max() - first).days)
    return country, [((first + pd.Timedelta(days=t)).strftime("%Y-%m-%d"), name) for t, name in sorted(names.items())]


def write_report(result: ForecastResult, out: OutputFolder) -> None:
    """Every file of a forecast run, into a staging folder (:func:`viewcast.io.outputs.output_folder`)."""
    metrics = result.to_dict()
    out.csv("forecast.csv", result.forecast)
    if result.weights is not None:
        out.csv("weights.csv", result.weights)
    out.json("metrics.json", metrics)
    figures = {
        "forecast": forecast_figure(result),
        "capacity": plan_figure(result.capacity, "day" if result.axis.kind == "index" else "date"),
        "backtest": backtest_figure(result),
        "loss": loss_figure(result),
    }
    images = {name: embed_png(out.figure(f"{name}.png", fig)) for name, fig in figures.items() if fig is not None}
    history_days = int(result.history.groupby("series").size().max())
    holiday_country, holidays = holidays_ahead(result)
    html = render_report(
        "forecast.html",
        metrics=metrics,
        history_days=history_days,
        daily=result.total.to_dict("records"),
        images=images,
        own_origins=OWN_ORIGINS,
        trim=getattr(result.model.engine, "trim", 0),  # a model of an older viewcast has none
        holiday_country=holiday_country,
        holidays_ahead=holidays,
        # models of an older viewcast record no choice of total: theirs is the sum of the series
        direct_total=(result.backtest.get("total") or {}).get("forecast") == DIRECT,
    )
    out.text("report.html", html)
