"""Files of a forecast run: forecast.csv, metrics.json, plots and a self-contained report.html."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from viewcast.atomic import save_figure, write_csv, write_json
from viewcast.report import embed_png, write_report

if TYPE_CHECKING:
    from viewcast.forecasting.pipeline import ForecastResult

MAX_SERIES_PLOTTED = 5


def _views(value: float, _=None) -> str:
    """Axis labels a planner reads at a glance: 950, 12K, 3.4M, 1.2B."""
    for bound, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= bound:
            return f"{value / bound:,.1f}{suffix}"
    return f"{value:,.0f}"


def _date_ticks(ax, labels: list[str], count: int = 7) -> None:
    ticks = np.unique(np.linspace(0, len(labels) - 1, count).astype(int))
    ax.set_xticks(ticks, [labels[t] for t in ticks], fontsize=8)


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


def plot_forecast(result: ForecastResult, path: Path) -> Path:
    plots = _panel_plots(result)
    unit = "day" if result.axis.kind == "index" else "date"
    fig, axes = plt.subplots(len(plots), 1, figsize=(10, 3.3 * len(plots)), squeeze=False)
    for ax, (title, hist, fc) in zip(axes[:, 0], plots):
        x_hist = np.arange(len(hist))
        x_fc = len(hist) + np.arange(len(fc))
        ax.plot(x_hist, hist["views"], color="#1d2430", lw=1.3, label="history")
        ax.fill_between(x_fc, fc["lo95"], fc["hi95"], color="#2f6fde", alpha=0.18, label="95% interval")
        ax.fill_between(x_fc, fc["lo80"], fc["hi80"], color="#2f6fde", alpha=0.3, label="80% interval")
        ax.plot(x_fc, fc["point"], color="#2f6fde", lw=1.8, label=f"forecast ({result.chosen})")
        ax.axvline(len(hist) - 0.5, color="grey", ls=":", lw=1)
        _date_ticks(ax, [str(v) for v in hist["date"]] + [str(v) for v in fc["date"]])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(unit)
        ax.set_ylabel("views per day")
        ax.yaxis.set_major_formatter(FuncFormatter(_views))
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper left", fontsize=8)
    shown = min(MAX_SERIES_PLOTTED, result.forecast["series"].nunique())
    if result.forecast["series"].nunique() > shown:
        fig.suptitle(f"Largest {shown} of {result.forecast['series'].nunique()} series by forecast volume", fontsize=9)
    fig.tight_layout()
    return save_figure(path, fig)


def plot_capacity(result: ForecastResult, path: Path) -> Path:
    daily = pd.DataFrame(result.capacity["daily"])
    fig, ax = plt.subplots(figsize=(10, 3.6))
    x = np.arange(len(daily))
    ax.bar(x, daily["servers"], color="#8aa0c2", label="servers (on the 95% upper bound)")
    peak = int(np.argmax(daily["servers"]))
    ax.bar([peak], [daily["servers"].iat[peak]], color="#d0582b", label=f"peak: {daily['servers'].iat[peak]}")
    ax.set_ylabel("servers")
    ax.set_xlabel("day" if result.axis.kind == "index" else "date")
    _date_ticks(ax, [str(d) for d in daily["date"]])
    ax2 = ax.twinx()
    ax2.plot(x, daily["hi95_views"], color="#1d2430", lw=1.2, label="95% upper bound of views")
    ax2.plot(x, result.total["point"], color="#2f6fde", lw=1.2, ls="--", label="expected views")
    ax2.set_ylabel("views per day")
    ax2.yaxis.set_major_formatter(FuncFormatter(_views))
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="upper left")
    ax.set_title(f"Servers per day: {result.capacity['server_days']} server-days, ${result.capacity['total_cost']:,.0f}")
    fig.tight_layout()
    return save_figure(path, fig)


def plot_loss(result: ForecastResult, path: Path) -> Path | None:
    history = result.lstm_history
    if not history or not history.get("train_loss"):
        path.unlink(missing_ok=True)  # never leave a previous run's curves beside this run's report
        return None
    fig, ax = plt.subplots(figsize=(7, 3.5))
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
    return save_figure(path, fig)


def plot_backtest(result: ForecastResult, path: Path) -> Path:
    models = result.backtest["models"]
    names = list(models)
    raw = result._backtest_raw
    fig, axes = plt.subplots(1, 2 if raw is not None else 1, figsize=(12 if raw is not None else 6, 3.8), squeeze=False)
    ax = axes[0, 0]
    colors = ["#2e9e4f" if n == result.chosen else "#8aa0c2" for n in names]
    ax.barh(names[::-1], [models[n]["mase"] for n in names][::-1], color=colors[::-1])
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.set_xlabel("backtest MASE (lower is better; 1 = in-sample seasonal naive)")
    ax.set_title("Model comparison (chosen in green)")
    if raw is not None:
        ax = axes[0, 1]
        windows, steps = raw.plan.windows, raw.plan.horizon

        def gapped(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Windows side by side with a break between them (they are separate forecasts)."""
            x = np.concatenate([w * (steps + 1) + np.arange(steps + 1) for w in range(windows)])
            y = np.concatenate([np.r_[values[w], np.nan] for w in range(windows)])
            return x, y

        ax.plot(*gapped(raw.actual[0]), color="#1d2430", lw=1.8, label="actual")
        for name in names:
            ax.plot(*gapped(raw.models[name].forecast[0]), lw=1.8 if name == result.chosen else 0.9, label=name)
        ax.set_xticks([w * (steps + 1) + steps / 2 for w in range(windows)], [f"origin {w + 1}" for w in range(windows)])
        ax.set_title(f"Backtest forecasts of {result._panel.ids[raw.series_index[0]]!r}: {windows} windows of {steps} days")
        ax.set_ylabel("views per day")
        ax.yaxis.set_major_formatter(FuncFormatter(_views))
        ax.legend(fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(path, fig)


def write_outputs(result: ForecastResult, directory: Path) -> Path:
    from viewcast.atomic import check_output_dir

    check_output_dir(directory, "output directory")
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "forecast.csv", result.forecast)
    write_json(directory / "metrics.json", result.metrics())
    images = {
        "forecast": plot_forecast(result, directory / "forecast.png"),
        "capacity": plot_capacity(result, directory / "capacity.png"),
        "backtest": plot_backtest(result, directory / "backtest.png"),
        "loss": plot_loss(result, directory / "loss.png"),
    }
    write_report(
        directory / "report.html",
        "forecast.html",
        r=result,
        metrics=result.metrics(),
        history_days=int(result._panel.lengths.max()),
        daily=result.total.to_dict("records"),
        images={k: embed_png(v) for k, v in images.items() if v is not None},
    )
    return directory
