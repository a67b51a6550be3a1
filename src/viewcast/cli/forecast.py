"""``viewcast forecast``, ``viewcast demo`` and ``viewcast data synth influencers``: flags in, files out.

Every output target is checked before any work, options are validated by
:class:`~viewcast.forecasting.config.ForecastConfig`, and files are written whole by
:mod:`viewcast.io.outputs`; errors become one line and exit code 2 in :mod:`viewcast.cli.app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from viewcast.cli.backend import backend_option, backend_options, scheduler_option, workers_option

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "influencers_sample.csv"


def _summary(result: Any, out: Path) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console()
    members = result.backtest.get("members") or {}
    cap = result.capacity
    if len(members) > 1:
        leaders = ", ".join(f"{name} {count}" for name, count in result.backtest["leaders"].items() if count)
        console.print(f"[bold]Model:[/] per-series combination of {', '.join(members)} (largest weight: {leaders})")
    else:
        console.print(f"[bold]Model:[/] {result.chosen}")
    console.print(
        f"[bold]Next {result.config.horizon} days:[/] {result.totals['point']:,.0f} views "
        f"(95% upper bound {result.totals['hi95']:,.0f})"
    )
    console.print(
        f"[bold]Servers needed:[/] peak {cap['peak_servers']} on {cap['peak_when']}, "
        f"{cap['server_days']} server-days, ${cap['total_cost']:,.0f}"
    )
    for note in result.notes:
        console.print(Text("note: ", style="yellow") + Text(note), highlight=False)
    console.print(f"[bold]Report:[/] {out / 'report.html'}")


def _overlapping(a: Path, b: Path) -> bool:
    """Whether one path is the other or lies inside it (writing one would replace the other)."""
    a, b = a.resolve(), b.resolve()
    return a == b or a in b.parents or b in a.parents


def _check_paths(data: Path, out: Path, save_model: Path | None, load_model: Path | None) -> None:
    """Refuse, before any work, targets that cannot be written or that would destroy an input."""
    from viewcast.errors import ConfigError
    from viewcast.io.outputs import check_output_folder
    from viewcast.io.persist import check_model_target

    if save_model is not None and load_model is not None:
        raise ConfigError("--save-model and --load-model exclude each other: a loaded model is not refitted")
    check_output_folder(out, param="out")
    if save_model is not None:
        check_model_target(save_model, param="save_model")
        if _overlapping(out, save_model):
            raise ConfigError(
                f"{save_model}: the model folder and the --out folder must not contain each other", param="save_model"
            )
    for source in (load_model, data):
        if source is not None and _overlapping(out, source):
            raise ConfigError(f"{out}: writing here would replace {source}; choose another folder", param="out")


def forecast_command(
    data: Path = typer.Argument(
        ...,
        help="Views table (.csv, .jsonl, .json, .parquet, .xlsx): the study's Day, TikTokerID, Category, Views or unique_id, ds, y.",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for forecast.csv, metrics.json, plots and report.html."),
    horizon: int = typer.Option(30, "--horizon", help="Days to forecast (1-730)."),
    model: str = typer.Option(
        "auto",
        "--model",
        help="auto (per-series combination weighted by backtest error), or one model alone: seasonal_naive, ets, dot, "
        "mstl, mstl_yearly, theta, arima, lgbm or lstm.",
    ),
    by: Optional[str] = typer.Option(
        None, "--by", help="total (default), category or creator; with --load-model, the model's own."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for LightGBM and the LSTM."),
    save_model: Optional[Path] = typer.Option(None, "--save-model", help="Also save the fitted model in this folder."),
    load_model: Optional[Path] = typer.Option(None, "--load-model", help="Forecast with a saved model (no retraining)."),
    fill_gaps: str = typer.Option("interpolate", "--fill-gaps", help="Missing creator-days: interpolate, zero, ffill or error."),
    backtest_windows: int = typer.Option(12, "--backtest-windows", help="Weekly backtest origins at most (1-52)."),
    study_lstm: bool = typer.Option(False, "--study-lstm", help="Also train the study's LSTM for its train/test table."),
    holidays: str = typer.Option(
        "US", "--holidays", help="Country whose public holidays the forecast knows (US, GB, DE...), or none."
    ),
    views_per_server_day: float = typer.Option(5_000_000, help="Views one server handles per day at an even rate."),
    peak_factor: float = typer.Option(2.0, help="Busiest hour's rate over the day's average (at least 1)."),
    headroom: float = typer.Option(
        0.0, help="Explicit spare fraction on top of the planned fleet (the planning quantile already prices the risk)."
    ),
    cost_per_server_day: float = typer.Option(48.0, help="Cost of one server for one day (USD)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="Torch threads (default 1; VIEWCAST_TORCH_THREADS)."),
    backend: str = backend_option(),
    scheduler: Optional[str] = scheduler_option(),
    workers: int = workers_option(),
) -> None:
    """Forecast daily views with a per-series combination of models, 80/95% intervals and a capacity plan.

    With --backend dask the per-series fits and backtests run on a Dask cluster (same numbers)."""
    from viewcast.forecasting.config import ForecastConfig
    from viewcast.forecasting.pipeline import run, run_saved
    from viewcast.io.registry import load_model as load

    _check_paths(data, out, save_model, load_model)
    options: dict[str, Any] = {
        "horizon": horizon,
        "model": model,
        "seed": seed,
        "fill_gaps": fill_gaps,
        "backtest_windows": backtest_windows,
        "study_lstm": study_lstm,
        "holidays": holidays,
        "threads": threads,
        **backend_options(backend, scheduler, workers),
        "capacity": {
            "views_per_server_day": views_per_server_day,
            "peak_factor": peak_factor,
            "headroom": headroom,
            "cost_per_server_day": cost_per_server_day,
        },
    }
    if load_model is not None:
        saved = load(load_model, kind="forecast")
        result = run_saved(saved, data, ForecastConfig.parse(options, by=by if by is not None else saved.by))
    else:
        result = run(data, ForecastConfig.parse(options, **({"by": by} if by is not None else {})))
    if save_model is not None:
        result.model.save(save_model, param="save_model")
    result.save(out)
    _summary(result, out)
    if save_model is not None:
        typer.echo(f"Model saved: {save_model}")


def demo_command(
    out: Path = typer.Option(Path("reports/demo"), "--out", help="Folder for the demo report."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """The main job on the bundled sample (10 creators x 50 days): forecast 30 days, plan servers, and show
    the study's LSTM train/test table beside the forecast."""
    from viewcast.forecasting.config import ForecastConfig
    from viewcast.forecasting.pipeline import run
    from viewcast.io.outputs import check_output_folder

    check_output_folder(out, param="out")
    result = run(SAMPLE, ForecastConfig.parse(horizon=30, seed=seed, study_lstm=True))
    result.save(out)
    typer.echo(f"Sample data: {SAMPLE.name} (10 creators x 50 days, made by `viewcast data synth influencers`)")
    _summary(result, out)


def synth_influencers_command(
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    creators: int = typer.Option(10, "--creators", help="Creators (1-100,000)."),
    days: int = typer.Option(50, "--days", help="Days per creator (1-36,600)."),
    seed: int = typer.Option(0, "--seed"),
    start_date: Optional[str] = typer.Option(
        None, "--start-date", help="Write ISO dates from this day (YYYY-MM-DD) instead of day numbers."
    ),
) -> None:
    """Daily creator views in the study's messy format (spaced headers, thousands separators)."""
    from viewcast.io.outputs import check_output_file
    from viewcast.synth.influencers import write_influencers

    check_output_file(out, param="out")
    write_influencers(out, creators=creators, days=days, seed=seed, start_date=start_date)
    typer.echo(f"Wrote {creators * days:,} rows ({creators} creators x {days} days) to {out}")


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    app.command("forecast")(forecast_command)
    app.command("demo")(demo_command)
    synth_app.command("influencers")(synth_influencers_command)
