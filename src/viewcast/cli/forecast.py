"""``viewcast forecast``, ``viewcast demo`` and ``viewcast data synth influencers``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "influencers_sample.csv"


def _summary(result, out: Path) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console()
    bt = result.backtest["models"].get(result.chosen, {})
    cap = result.capacity
    console.print(f"[bold]Chosen model:[/] {result.chosen}" + (f" (backtest MASE {bt['mase']:.3f})" if bt else ""))
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


def forecast_command(
    data: Path = typer.Argument(
        ..., help="CSV in the study's format (Day, TikTokerID, Category, Views, ...) or unique_id, ds, y."
    ),
    out: Path = typer.Option(..., "--out", help="Directory for forecast.csv, metrics.json, plots and report.html."),
    horizon: int = typer.Option(30, "--horizon", min=1, max=730, help="Days to forecast."),
    model: str = typer.Option(
        "auto",
        "--model",
        help="auto (best backtest MASE), lstm, seasonal_naive, ets, arima, theta or ensemble (mean of ets, arima, theta).",
    ),
    by: str = typer.Option("total", "--by", help="Forecast the total, per category or per creator."),
    seed: int = typer.Option(0, "--seed", help="Seed for the LSTM and sampling."),
    save_model: Optional[Path] = typer.Option(None, "--save-model", help="Also save the fitted model here."),
    load_model: Optional[Path] = typer.Option(None, "--load-model", help="Forecast with a saved model (no retraining)."),
    fill_gaps: str = typer.Option("interpolate", "--fill-gaps", help="Missing creator-days: interpolate, zero, ffill or error."),
    backtest_windows: int = typer.Option(5, "--backtest-windows", min=1, help="Rolling origins at most."),
    views_per_server_day: float = typer.Option(5_000_000, help="Views one server handles per day at an even rate."),
    peak_factor: float = typer.Option(2.0, help="Busiest hour's rate over the day's average."),
    headroom: float = typer.Option(0.2, help="Spare capacity fraction on top of the peak."),
    cost_per_server_day: float = typer.Option(48.0, help="Cost of one server for one day (USD)."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="Torch threads (default 1; VIEWCAST_TORCH_THREADS)."),
) -> None:
    """Forecast daily views, pick the best model by backtest, add intervals and a capacity plan."""
    from viewcast.atomic import check_output_dir
    from viewcast.errors import ViewcastError
    from viewcast.forecasting.pipeline import run_forecast
    from viewcast.persist import check_model_target

    if save_model and load_model:
        raise ViewcastError("use either --save-model or --load-model, not both")
    check_output_dir(out)
    if save_model:
        check_model_target(save_model)
    result = run_forecast(
        data,
        load_model=load_model,
        horizon=horizon,
        model=model,
        by=by,
        seed=seed,
        fill_gaps=fill_gaps,
        backtest_windows=backtest_windows,
        threads=threads,
        capacity={
            "views_per_server_day": views_per_server_day,
            "peak_factor": peak_factor,
            "headroom": headroom,
            "cost_per_server_day": cost_per_server_day,
        },
    )
    if save_model:
        result.save_model(save_model)
    result.save(out)
    _summary(result, out)
    if save_model:
        typer.echo(f"Model saved: {save_model}")


def demo_command(
    out: Path = typer.Option(Path("reports/demo"), "--out", help="Directory for the demo report."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """The main job on the bundled sample (10 creators x 50 days): forecast 30 days and plan servers."""
    from viewcast.atomic import check_output_dir
    from viewcast.forecasting.pipeline import run_forecast

    check_output_dir(out)
    result = run_forecast(SAMPLE, horizon=30, seed=seed)
    result.save(out)
    typer.echo(f"Sample data: {SAMPLE.name} (10 creators x 50 days, made by `viewcast data synth influencers`)")
    _summary(result, out)


def synth_influencers_command(
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    creators: int = typer.Option(10, "--creators", min=1),
    days: int = typer.Option(50, "--days", min=1),
    seed: int = typer.Option(0, "--seed"),
    start_date: Optional[str] = typer.Option(None, "--start-date", help="Write ISO dates from this day instead of day numbers."),
) -> None:
    """Daily creator views in the study's messy format (spaced headers, thousands separators)."""
    from viewcast.atomic import check_output_file
    from viewcast.errors import ViewcastError
    from viewcast.synth.influencers import write_influencers

    check_output_file(out)
    if start_date is not None:
        import pandas as pd

        try:
            pd.Timestamp(start_date)
        except ValueError:
            raise ViewcastError(f"--start-date {start_date!r} is not a date (YYYY-MM-DD)") from None
    write_influencers(out, creators=creators, days=days, seed=seed, start_date=start_date)
    typer.echo(f"Wrote {creators * days:,} rows ({creators} creators x {days} days) to {out}")


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    app.command("forecast")(forecast_command)
    app.command("demo")(demo_command)
    synth_app.command("influencers")(synth_influencers_command)
