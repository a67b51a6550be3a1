"""Files of a forecast run: forecast.csv, metrics.json, loss/forecast/backtest plots, report.html."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from viewcast.atomic import save_figure, write_csv, write_json  # noqa: E402
from viewcast.report import embed_png, write_report  # noqa: E402

if TYPE_CHECKING:
    from viewcast.forecasting.pipeline import ForecastResult

MAX_SERIES_PLOTTED = 6


def _series_to_plot(result: "ForecastResult") -> list[str]:
    """The largest series by forecast volume (a 1,000-creator panel cannot be drawn whole)."""
    volume = result.forecast.groupby("series")["point"].sum().sort_values(ascending=False)
    return list(volume.index[:MAX_SERIES_PLOTTED])


def plot_forecast(result: "ForecastResult", path: Path) -> Path:
    names = _series_to_plot(result)
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 3.2 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        hist = result.history[result.history["series"] == name]
        fc = result.forecast[result.forecast["series"] == name]
        x_hist = np.arange(len(hist))
        x_fc = len(hist) + np.arange(len(fc))
        ax.plot(x_hist, hist["views"], color="#1d2430", lw=1.3, label="history")
        ax.fill_between(x_fc, fc["lo95"], fc["hi95"], color="#2f6fde", alpha=0.18, label="95% interval")
        ax.fill_between(x_fc, fc["lo80"], fc["hi80"], color="#2f6fde", alpha=0.3, label="80% interval")
        ax.plot(x_fc, fc["point"], color="#2f6fde", lw=1.8, label=f"forecast ({result.chosen})")
        ticks = np.linspace(0, len(hist) + len(fc) - 1, 6).astype(int)
        labels = list(hist["date"]) + list(fc["date"])
        ax.set_xticks(ticks, [labels[t] for t in ticks], fontsize=8)
        ax.set_title(f"{name}: daily views", fontsize=10)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1e6:,.1f}M"))
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return save_figure(path, fig)


def plot_loss(result: "ForecastResult", path: Path) -> Path | None:
    history = result.lstm_history
    if not history or not history.get("train_loss"):
        return None
    fig, ax = plt.subplots(figsize=(7, 3.5))
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    ax.plot(epochs, history["train_loss"], label="training loss (MSE, scaled)")
    if history.get("val_loss"):
        ax.plot(epochs, history["val_loss"], label="validation loss")
    ax.axvline(history["best_epoch"] + 1, color="grey", ls="--", lw=1, label="restored epoch")
    ax.set_xlabel("epoch")
    ax.set_yscale("log")
    ax.set_title("Study LSTM: training curves")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return save_figure(path, fig)


def plot_backtest(result: "ForecastResult", path: Path) -> Path:
    models = result.backtest["models"]
    names = list(models)
    raw = result._backtest_raw
    fig, axes = plt.subplots(1, 2 if raw is not None else 1, figsize=(12 if raw is not None else 6, 3.8), squeeze=False)
    ax = axes[0, 0]
    colors = ["#2e9e4f" if n == result.chosen else "#8aa0c2" for n in names]
    ax.barh(names[::-1], [models[n]["mase"] for n in names][::-1], color=colors[::-1])
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.set_xlabel("backtest MASE (lower is better; 1 = in-sample seasonal naive)")
    ax.set_title("Model comparison")
    if raw is not None:
        ax = axes[0, 1]
        actual = raw.actual[0].ravel()
        ax.plot(actual, color="#1d2430", lw=1.6, label="actual")
        for name in names:
            ax.plot(raw.models[name].forecast[0].ravel(), lw=1.6 if name == result.chosen else 0.9, label=name)
        for w in range(1, raw.plan.windows):
            ax.axvline(w * raw.plan.horizon - 0.5, color="grey", ls=":", lw=0.8)
        ax.set_title(f"Backtest windows of series '{result._panel.ids[raw.series_index[0]]}'")
        ax.set_xlabel("day within the backtest windows")
        ax.legend(fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(path, fig)


def write_outputs(result: "ForecastResult", directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "forecast.csv", result.forecast)
    write_json(directory / "metrics.json", result.metrics())
    images = {
        "forecast": plot_forecast(result, directory / "forecast.png"),
        "backtest": plot_backtest(result, directory / "backtest.png"),
        "loss": plot_loss(result, directory / "loss.png"),
    }
    daily = result.forecast.groupby("date", sort=False)[["point", "lo80", "hi80", "lo95", "hi95"]].sum().reset_index()
    write_report(
        directory / "report.html",
        "forecast.html",
        r=result,
        metrics=result.metrics(),
        daily=daily.to_dict("records"),
        images={k: embed_png(v) for k, v in images.items() if v is not None},
    )
    return directory
