"""``viewcast popularity prepare|train|sweep`` and ``viewcast data synth ratings``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

popularity_app = typer.Typer(
    help="Content popularity on MovieLens-format request logs: prepare, train recurrent models, sweep.",
    no_args_is_help=True,
)


def _console():
    from rich.console import Console

    return Console()


def _metrics_table(metrics: dict, title: str):
    from rich.table import Table

    from viewcast.popularity.evaluate import BASELINES, METRICS

    table = Table(title=title)
    table.add_column("predictor")
    for name in METRICS:
        table.add_column(name, justify="right")
    rows = [("model", metrics["model"])] + [(b, metrics["baselines"][b]) for b in BASELINES] + [("oracle", metrics["oracle"])]
    for name, values in rows:
        table.add_row(name, *(f"{values[m]:.5f}" if m in ("rmse", "mae") else f"{values[m]:.4f}" for m in METRICS))
    return table


@popularity_app.command("prepare")
def prepare_command(
    data: Path = typer.Option(..., "--data", help="MovieLens folder with movies.csv and ratings.csv."),
    out: Path = typer.Option(..., "--out", help="Folder for counts.parquet, windows.parquet, movies.parquet, meta.json."),
    slot: str = typer.Option("daily", "--slot", help="hourly, daily, weekly, monthly or yearly (UTC)."),
    window: int = typer.Option(10, "--window", help="Previous steps that predict the next share."),
    windows: str = typer.Option(
        "records", "--windows", help="records (study: request records) or slots (consecutive slots, zeros included)."
    ),
) -> None:
    """Aggregate ratings into per-slot request counts and shares, and build windows (DuckDB)."""
    from viewcast.popularity.prepare import PrepareConfig, prepare

    config = _validated(PrepareConfig, slot=slot, window=window, windows=windows)
    prepared = prepare(data, config)
    try:
        prepared.save(out)
    finally:
        prepared.close()
    meta = prepared.meta
    _console().print(
        f"{meta['ratings']:,} ratings of {meta['movies_rated']:,} movies -> {meta['count_rows']:,} (slot, movie) rows over "
        f"{meta['slots_spanned']:,} {slot} slots; windows: {meta['windows_records']:,} records-style, "
        f"{meta['windows_slots']:,} slots-style ({meta['windows']} written) in "
        f"{meta['seconds_prepare'] + meta['seconds_write']:.1f} s -> {out}"
    )


def _validated(model, **values):
    from pydantic import ValidationError

    from viewcast.errors import ViewcastError
    from viewcast.popularity.options import describe_validation_error

    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise ViewcastError(f"invalid option {describe_validation_error(exc)}") from None


@popularity_app.command("train")
def train_command(
    prepared: Path = typer.Option(..., "--prepared", help="Folder written by 'viewcast popularity prepare'."),
    out: Path = typer.Option(..., "--out", help="Folder for model/, predictions.parquet and metrics.json."),
    cell: str = typer.Option("lstm", "--cell", help="lstm, gru, rnn or cnn_lstm."),
    hidden: int = typer.Option(32, "--hidden"),
    layers: int = typer.Option(1, "--layers"),
    dropout: float = typer.Option(0.0, "--dropout"),
    window: int = typer.Option(10, "--window"),
    windows: str = typer.Option("slots", "--windows", help="slots or records (inputs; every candidate is scored either way)."),
    batch_size: int = typer.Option(16, "--batch-size", help="Candidate groups (one slot each) per batch."),
    learning_rate: float = typer.Option(1e-3, "--learning-rate", "--lr"),
    optimizer: str = typer.Option("adam", "--optimizer", help="adam, sgd or rmsprop."),
    loss: str = typer.Option("cross_entropy", "--loss", help="mse, rmse, mae, huber or cross_entropy (over the slot's items)."),
    max_epochs: int = typer.Option(30, "--max-epochs"),
    patience: int = typer.Option(5, "--patience"),
    max_batches_per_epoch: Optional[int] = typer.Option(None, "--max-batches-per-epoch"),
    val_fraction: float = typer.Option(0.15, "--val-fraction"),
    test_fraction: float = typer.Option(0.15, "--test-fraction"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Train one recurrent scorer; evaluate it, the baselines and the oracle on the test slots."""
    from viewcast.popularity.train import PopularityConfig, build_dataset, load_counts, train_popularity

    config = _validated(
        PopularityConfig, cell=cell, hidden=hidden, layers=layers, dropout=dropout, window=window, windows=windows,
        batch_size=batch_size, learning_rate=learning_rate, optimizer=optimizer, loss=loss.replace("-", "_"),
        max_epochs=max_epochs, patience=patience, max_batches_per_epoch=max_batches_per_epoch,
        val_fraction=val_fraction, test_fraction=test_fraction, seed=seed,
    )  # fmt: skip
    counts, _ = load_counts(prepared)
    run = train_popularity(build_dataset(counts, config.dataset()), config)
    run.save(out)
    console = _console()
    console.print(_metrics_table(run.metrics, f"test slots ({run.metrics['split']['test_slots']})"))
    epochs = len(run.history.train_loss)
    if run.metrics["kept_initial_weights"]:
        console.print(f"no epoch of {epochs} beat the untrained start (decayed LFU) on validation hit@50: kept it")
    else:
        console.print(f"best epoch {run.history.best_epoch + 1} of {epochs} (by validation hit@50)")
    console.print(f"saved to {out}")


@popularity_app.command("sweep")
def sweep_command(
    config_file: Path = typer.Argument(..., help="TOML file with [grid] (lists) and [fixed] settings."),
    out: Path = typer.Option(..., "--out", help="Folder for results.csv, report.html, best/ and runs/."),
    prepared: Optional[Path] = typer.Option(None, "--prepared", help="Prepared folder (overrides 'prepared' in the file)."),
) -> None:
    """Train a grid of models and rank them (results.csv, report.html)."""
    from viewcast.errors import ViewcastError
    from viewcast.popularity.sweep import load_sweep_config, run_sweep
    from viewcast.popularity.train import load_counts

    sweep_config, runs = load_sweep_config(config_file)
    source = prepared or sweep_config.prepared
    if source is None:
        raise ViewcastError(f"{config_file}: no 'prepared' folder given (in the file or with --prepared)")
    counts, _ = load_counts(source)
    result = run_sweep(counts, runs)
    result.save(out)
    console = _console()
    console.print(_metrics_table(result.best.metrics, f"best of {len(runs)} runs (by validation hit@50), test slots"))
    console.print(f"results.csv and report.html in {out}")


def synth_ratings_command(
    out: Path = typer.Option(..., "--out", help="Folder for movies.csv, ratings.csv, tags.csv, links.csv."),
    rows: int = typer.Option(100_000, "--rows", help="Number of ratings."),
    movies: int = typer.Option(2_000, "--movies", help="Number of movies."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """MovieLens-format ratings with Zipf popularity, release bursts and weekly seasonality."""
    from viewcast.errors import ViewcastError
    from viewcast.synth.ratings import generate_ratings, write_movielens

    if rows < 1 or movies < 1:
        raise ViewcastError("--rows and --movies must be positive")
    write_movielens(generate_ratings(rows, movies, seed), out)
    _console().print(f"{rows:,} ratings of {movies:,} movies written to {out}")


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    """Add this analysis' commands to the root app and its generators to ``data synth``."""
    app.add_typer(popularity_app, name="popularity")
    synth_app.command("ratings")(synth_ratings_command)
