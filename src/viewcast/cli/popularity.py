"""``viewcast popularity prepare|train|sweep|predict`` and ``viewcast data synth ratings``.

Thin adapters: flags -> config (``Config.parse``), every output target checked before any work,
then the library call, the save and a short summary. Heavy imports happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from viewcast.cli.backend import backend_option, backend_options, scheduler_option, workers_option

popularity_app = typer.Typer(
    help="Content popularity on MovieLens-format request logs: prepare, train, sweep, predict.",
    no_args_is_help=True,
)


def _console():
    from rich.console import Console

    return Console()


def _parse(config_class: Any, **values: Any) -> Any:
    """Flags -> config; a problem with one item of a list flag names the flag, not the item's index."""
    from viewcast.errors import ConfigError

    try:
        return config_class.parse({name: value for name, value in values.items() if value is not None})
    except ConfigError as exc:
        parts = (exc.param or "").split(".")
        if len(parts) > 1 and parts[1].isdigit():
            raise ConfigError(f"item {int(parts[1]) + 1}: {exc.message}", param=parts[0]) from None
        raise


def _split(value: Optional[str]) -> Optional[list[str]]:
    return None if value is None else [part.strip() for part in value.split(",")]


def _metrics_table(metrics: dict, title: str):
    from rich.table import Table

    from viewcast.popularity.evaluation import METRICS
    from viewcast.popularity.features import BASELINES

    table = Table(title=title)
    table.add_column("predictor")
    for name in METRICS:
        table.add_column(name, justify="right")
    rows = [("model", metrics["model"])] + [(b, metrics["baselines"][b]) for b in BASELINES] + [("oracle", metrics["oracle"])]
    for name, values in rows:
        table.add_row(name, *(f"{values[m]:.5f}" if m in ("rmse", "mae") else f"{values[m]:.4f}" for m in METRICS))
    return table


def _replay_table(replay: dict | None):
    from rich.table import Table

    if not replay:
        return None
    rows = replay["rows"]
    sizes = sorted({row["size_fraction"] for row in rows})
    table = Table(
        title=f"replay: hit ratio on {replay['measured_requests']:,} test requests (cache size as % of {replay['catalogue']:,} items)"
    )
    table.add_column("policy")
    for size in sizes:
        table.add_column(f"{size * 100:g} %", justify="right")
    for policy in dict.fromkeys(row["label"] for row in rows):
        by_size = {row["size_fraction"]: row["hit_ratio"] for row in rows if row["label"] == policy}
        table.add_row(policy, *("–" if by_size.get(s) is None else f"{by_size[s]:.4f}" for s in sizes))
    return table


@popularity_app.command("prepare")
def prepare_command(
    data: Path = typer.Option(
        ...,
        "--data",
        help="MovieLens folder with movies.csv and ratings.csv, or with a ratings/ folder of CSV/Parquet files "
        "(one partition each; see --backend).",
    ),
    out: Path = typer.Option(..., "--out", help="Folder for counts, windows, movies, requests (Parquet) and meta.json."),
    slot: Optional[str] = typer.Option(None, "--slot", help="hourly, daily (default), weekly, monthly or yearly (UTC)."),
    window: Optional[int] = typer.Option(None, "--window", help="Previous steps in each of the study's windows (10)."),
    windows: Optional[str] = typer.Option(None, "--windows", help="records (default: the study's) or slots (zeros included)."),
    memory_limit: Optional[str] = typer.Option(None, "--memory-limit", help="DuckDB memory cap, e.g. 2GB (it spills beyond)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="DuckDB threads (2)."),
    backend: str = backend_option(),
    scheduler: Optional[str] = scheduler_option(),
    workers: int = workers_option(),
) -> None:
    """Aggregate ratings into per-slot request counts and shares, and build the study's windows (DuckDB).

    A ratings/ folder is counted file by file (on Dask workers with --backend dask) and merged."""
    from viewcast.compute import BackendConfig
    from viewcast.io.outputs import check_output_folder
    from viewcast.popularity.config import PrepareConfig
    from viewcast.popularity.data import prepare

    check_output_folder(out)
    config = _parse(PrepareConfig, slot=slot, window=window, windows=windows, memory_limit=memory_limit, threads=threads)
    compute = BackendConfig.parse(backend_options(backend, scheduler, workers))
    with prepare(data, config, compute) as prepared:
        prepared.save(out)
    meta = prepared.meta
    _console().print(
        f"{meta['ratings']:,} ratings of {meta['movies_rated']:,} movies -> {meta['count_rows']:,} (slot, movie) rows over "
        f"{meta['slots_spanned']:,} {config.slot} slots; windows: {meta['windows_records']:,} records-style, "
        f"{meta['windows_slots']:,} slots-style ({meta['windows']} written) in "
        f"{meta['seconds_prepare'] + meta['seconds_write']:.1f} s -> {out}"
    )


@popularity_app.command("train")
def train_command(
    prepared: Path = typer.Option(..., "--prepared", help="Folder written by 'viewcast popularity prepare'."),
    out: Path = typer.Option(..., "--out", help="Folder for model/, metrics.json, replay.csv, predictions.parquet, report.html."),
    cell: Optional[str] = typer.Option(None, "--cell", help="lstm (default), gru, rnn or cnn_lstm."),
    hidden: Optional[int] = typer.Option(None, "--hidden", help="Hidden units (32)."),
    layers: Optional[int] = typer.Option(None, "--layers", help="Recurrent layers (1)."),
    dropout: Optional[float] = typer.Option(None, "--dropout", help="Dropout (0)."),
    window: Optional[int] = typer.Option(None, "--window", help="Steps of each input window (10)."),
    windows: Optional[str] = typer.Option(None, "--windows", help="slots (default) or records."),
    group_size: Optional[int] = typer.Option(None, "--group-size", help="Candidates per training group (128)."),
    groups_per_slot: Optional[int] = typer.Option(None, "--groups-per-slot", help="Training groups per slot (4)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Candidate groups (one slot each) per batch (16)."),
    learning_rate: Optional[float] = typer.Option(None, "--learning-rate", "--lr", help="Learning rate (0.001)."),
    optimizer: Optional[str] = typer.Option(None, "--optimizer", help="adam (default), sgd or rmsprop."),
    loss: Optional[str] = typer.Option(
        None, "--loss", help="cross_entropy (default, over the slot's items), mse, rmse, mae or huber."
    ),
    max_epochs: Optional[int] = typer.Option(None, "--max-epochs", help="At most this many epochs (30)."),
    patience: Optional[int] = typer.Option(None, "--patience", help="Epochs without improvement before stopping (5)."),
    max_batches_per_epoch: Optional[int] = typer.Option(
        None, "--max-batches-per-epoch", help="Sample this many batches per epoch."
    ),
    val_fraction: Optional[float] = typer.Option(None, "--val-fraction", help="Share of slots for validation (0.15)."),
    test_fraction: Optional[float] = typer.Option(None, "--test-fraction", help="Share of slots for the test (0.15)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of sampling and training (0)."),
    policies: Optional[str] = typer.Option(
        None,
        "--policies",
        help="Cache policies replayed, comma-separated (all: lru,lfu,arc,s3fifo,wtinylfu,sieve,belady,belady_bypass).",
    ),
    cache_sizes: Optional[str] = typer.Option(
        None, "--cache-sizes", help="Cache sizes as fractions of the catalogue, comma-separated (0.001,0.005,0.01,0.05,0.1)."
    ),
    replay: Optional[bool] = typer.Option(
        None, "--replay/--no-replay", help="Replay the test period through cache policies (on)."
    ),
    learned_policy: Optional[bool] = typer.Option(
        None,
        "--learned-policy/--no-learned-policy",
        help="Replay the cache driven by the model's predictions, and its non-learned twin (on).",
    ),
    learned_betas: Optional[str] = typer.Option(
        None, "--learned-betas", help="Weights of within-slot counts tried per size, comma-separated (0,0.01,0.1,1,10)."
    ),
    learned_windows: Optional[str] = typer.Option(
        None, "--learned-windows", help="LRU window shares tried per size, comma-separated (0,0.1,0.5)."
    ),
) -> None:
    """Train one recurrent scorer; judge it, the baselines and the oracle on the test slots, and replay the caches."""
    from viewcast.io.outputs import check_output_folder
    from viewcast.popularity.config import PopularityConfig
    from viewcast.popularity.data import read_prepared
    from viewcast.popularity.pipeline import run

    check_output_folder(out)
    config = _parse(
        PopularityConfig, cell=cell, hidden=hidden, layers=layers, dropout=dropout, window=window, windows=windows,
        group_size=group_size, groups_per_slot=groups_per_slot, batch_size=batch_size, learning_rate=learning_rate,
        optimizer=optimizer, loss=loss, max_epochs=max_epochs, patience=patience, max_batches_per_epoch=max_batches_per_epoch,
        val_fraction=val_fraction, test_fraction=test_fraction, seed=seed, policies=_split(policies),
        cache_sizes=_split(cache_sizes), replay=replay, learned_policy=learned_policy,
        learned_betas=_split(learned_betas), learned_windows=_split(learned_windows),
    )  # fmt: skip
    read_prepared(prepared)  # an incomplete folder is refused before training
    result = run(prepared, config)
    result.save(out)
    console = _console()
    console.print(_metrics_table(result.metrics, f"test slots ({result.metrics['split']['test_slots']})"))
    table = _replay_table(result.replay)
    if table is not None:
        console.print(table)
    epochs = len(result.history.train_loss)
    if result.metrics["kept_initial_weights"]:
        console.print(f"no epoch of {epochs} beat the untrained start (decayed LFU) on validation hit@50: kept it")
    else:
        console.print(f"best epoch {result.history.best_epoch + 1} of {epochs} (by validation hit@50)")
    console.print(f"saved to {out}")


@popularity_app.command("sweep")
def sweep_command(
    config_file: Path = typer.Argument(..., help="TOML file with [grid] (lists) and [fixed] settings."),
    out: Path = typer.Option(..., "--out", help="Folder for results.csv, runs.json, report.html and best/."),
    prepared: Optional[Path] = typer.Option(None, "--prepared", help="Prepared folder (overrides 'prepared' in the file)."),
) -> None:
    """Train a grid of models and rank them by validation hit@50 (results.csv, report.html)."""
    from viewcast.errors import ConfigError
    from viewcast.io.outputs import check_output_folder
    from viewcast.popularity.data import read_prepared
    from viewcast.popularity.sweep import load_sweep, run_sweep

    check_output_folder(out)
    sweep, runs = load_sweep(config_file)
    source = prepared or sweep.prepared
    if source is None:
        raise ConfigError(f"{config_file} names no 'prepared' folder; give one in the file or here", param="prepared")
    read_prepared(source)
    result = run_sweep(source, runs)
    result.save(out)
    console = _console()
    console.print(_metrics_table(result.best.metrics, f"best of {len(runs)} runs (by validation hit@50), test slots"))
    table = _replay_table(result.best.replay)
    if table is not None:
        console.print(table)
    console.print(f"results.csv and report.html in {out}")


@popularity_app.command("predict")
def predict_command(
    model: Path = typer.Option(..., "--model", help="Model folder (model/ of a 'train' output)."),
    data: Optional[Path] = typer.Option(
        None, "--data", help="Newer ratings (a CSV, or a folder with ratings.csv) after the model's last slot."
    ),
    top: int = typer.Option(10, "--top", help="How many items to rank."),
    out: Optional[Path] = typer.Option(None, "--out", help="Also write the answer to this .json or .csv file."),
) -> None:
    """Rank the next slot's items from the model's saved state (brought up to date with --data)."""
    import numpy as np

    from viewcast.errors import ConfigError, DataValidationError
    from viewcast.io.outputs import check_output_file, write_file
    from viewcast.io.registry import load_model
    from viewcast.popularity.data import read_slot_counts
    from viewcast.popularity.schema import MAX_TOP

    if out is not None:
        check_output_file(out, suffixes=(".json", ".csv"))
    if not 1 <= top <= MAX_TOP:
        raise ConfigError(f"must be between 1 and {MAX_TOP:,}", param="top")
    loaded = load_model(model, kind="popularity")
    slots, items, counts = np.zeros(0, dtype=np.int64), [], []
    if data is not None:
        if loaded.slot is None:
            raise DataValidationError(f"--data needs a model that knows its slot length; {model} was saved by viewcast 0.1")
        slots, items, counts = read_slot_counts(data, loaded.slot)
    answer = loaded.rank(slots, items, counts, top)
    if out is not None:
        if out.suffix.lower() == ".json":
            write_file(out, answer.model_dump_json(indent=2) + "\n")
        else:
            rows = ["rank,item,share"] + [f"{i.rank},{i.item},{i.share!r}" for i in answer.items]
            write_file(out, "\n".join(rows) + "\n")
    from rich.table import Table

    start = f" (starts {answer.slot_start:%Y-%m-%d %H:%M} UTC)" if answer.slot_start else ""
    table = Table(title=f"slot {answer.slot}{start}: top {len(answer.items)} of {answer.candidates:,} items")
    for column in ("rank", "item", "predicted share"):
        table.add_column(column, justify="right")
    for item in answer.items:
        table.add_row(str(item.rank), str(item.item), f"{item.share:.5f}")
    _console().print(table)


def synth_ratings_command(
    out: Path = typer.Option(..., "--out", help="Folder for movies.csv, ratings.csv, tags.csv, links.csv."),
    rows: int = typer.Option(100_000, "--rows", help="Number of ratings."),
    movies: int = typer.Option(2_000, "--movies", help="Number of movies."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """MovieLens-format ratings with Zipf popularity, release bursts and weekly seasonality."""
    from viewcast.errors import ConfigError
    from viewcast.io.outputs import check_output_folder
    from viewcast.synth.ratings import MAX_MOVIES, MAX_ROWS, generate_ratings, write_movielens

    check_output_folder(out)
    for name, value, limit in (("rows", rows, MAX_ROWS), ("movies", movies, MAX_MOVIES)):
        if not 1 <= value <= limit:
            raise ConfigError(f"must be between 1 and {limit:,}", param=name)
    if not 0 <= seed < 2**32:
        raise ConfigError("must be between 0 and 2**32 - 1", param="seed")
    write_movielens(generate_ratings(rows, movies, seed), out)
    _console().print(f"{rows:,} ratings of {movies:,} movies written to {out}")


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    """Add this analysis' commands to the root app and its generators to ``data synth``."""
    app.add_typer(popularity_app, name="popularity")
    synth_app.command("ratings")(synth_ratings_command)
