"""``viewcast followers DATA --out DIR`` and ``viewcast data synth videos``.

Only argument parsing and a short Rich summary live here; the work is
:func:`viewcast.followers.analyse`. Heavy imports stay inside the commands so ``--help`` is instant.
"""

from __future__ import annotations

from pathlib import Path

import typer


def _pairs(values: list[str], option: str) -> dict[str, str]:
    """``["old=new", ...]`` -> dict; anything without exactly one ``=`` is a usage error (exit 2)."""
    from viewcast.errors import ViewcastError

    pairs = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise ViewcastError(f"{option} {value!r}: expected NAME=VALUE")
        pairs[key.strip()] = item.strip()
    return pairs


def followers_command(
    data: Path = typer.Argument(..., help="Per-video CSV / JSONL / Parquet, one row per video."),
    out: Path = typer.Option(..., "--out", help="Output folder (created if needed)."),
    target: str = typer.Option("newFollowers", "--target", help="Column to explain."),
    column_map: list[str] = typer.Option([], "--map", help="Rename a column first: OLD=NEW (repeat)."),
    ignore: list[str] = typer.Option([], "--ignore", help="Column to leave out of the model (repeat)."),
    min_level_count: int = typer.Option(
        5, "--min-level-count", help="Drop rows whose category/subject level occurs this often or less."
    ),
    missing_zero: list[str] = typer.Option(
        [],
        "--missing-zero",
        help="COL=mean|median|mode|drop|none: zeros in COL mean 'missing' (repeat; "
        "overrides the study's newFollowers=mode, watchedFullVideo=mean).",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the shuffled train/test split and CV folds."),
    test_size: float = typer.Option(0.2, "--test-size", help="Share of videos held out for the test RMSE."),
    robust: bool = typer.Option(False, "--robust", help="HC3 heteroscedasticity-robust standard errors."),
    cv_folds: int = typer.Option(5, "--cv-folds", help="k of the k-fold CV on the training part (0 = off)."),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level of the drivers (CI level is 1 - alpha)."),
) -> None:
    """Which kinds of videos bring new followers: OLS on per-video analytics with the cleaning in code."""
    from pydantic import ValidationError
    from rich.console import Console

    from viewcast.errors import ViewcastError
    from viewcast.followers import FollowersConfig, analyse
    from viewcast.io.tables import read_table

    try:
        config = FollowersConfig(
            target=target, column_map=_pairs(column_map, "--map"), ignore=ignore, min_level_count=min_level_count,
            missing_zero=_pairs(missing_zero, "--missing-zero"), seed=seed, test_size=test_size, robust=robust,
            cv_folds=cv_folds, alpha=alpha,
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ViewcastError(f"invalid option {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    result = analyse(read_table(data, "per-video"), config, source=str(data))
    result.save(out)
    m = result.metrics
    console = Console()
    test_rmse = "–" if m["test_rmse_log"] is None else f"{m['test_rmse_log']:.3f}"
    console.print(
        f"[bold]R²[/] {m['r2']:.3f} (adj. {m['adj_r2']:.3f}, study 0.746) · test RMSE (log) "
        f"{test_rmse} (study 0.466) · {m['n_train']} training rows, {m['n_terms']} terms"
    )
    for sign, colour in (("positive", "green"), ("negative", "red")):
        for line in result.drivers[sign]:
            console.print(f"[{colour}]{'+' if sign == 'positive' else '−'}[/] {line}", highlight=False)
    for text in result.warnings:
        console.print(f"[yellow]warning:[/] {text}", highlight=False)
    console.print(f"outputs in {out}/ (report.html)")


def synth_videos_command(
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    rows: int = typer.Option(194, "--rows", help="Number of videos (the study had 194)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """Per-video analytics in the study's 14 columns, from known coefficients (see docs/followers.md)."""
    from viewcast.errors import ViewcastError
    from viewcast.synth.videos import write_videos

    if rows < 30:
        raise ViewcastError("--rows must be at least 30")
    write_videos(out, rows=rows, seed=seed)
    typer.echo(f"wrote {rows} videos to {out}")


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    """Add ``followers`` to the root app and ``videos`` to ``data synth``."""
    app.command("followers")(followers_command)
    synth_app.command("videos")(synth_videos_command)
