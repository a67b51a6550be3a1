"""``viewcast followers [fit] DATA --out DIR``, ``viewcast followers predict MODEL`` and ``viewcast data synth videos``.

Only flags -> options, output checks before any work, and a short summary live here; the work
is :func:`viewcast.followers.pipeline.run` and :func:`~viewcast.followers.pipeline.predict`.
Every fit option defaults to ``None`` here, meaning "the config's default": the defaults live
in :class:`~viewcast.followers.config.FollowersConfig` only. Heavy imports stay inside the
commands so ``--help`` is instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperGroup

#: Largest ``--json`` text accepted (a planned video is a few hundred bytes).
MAX_JSON_BYTES = 10 * 1024 * 1024


class _FitByDefault(TyperGroup):
    """``viewcast followers DATA ...`` means ``viewcast followers fit DATA ...``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["fit", *args]
        return super().parse_args(ctx, args)


followers_app = typer.Typer(
    cls=_FitByDefault,
    no_args_is_help=True,
    help="Which videos bring new followers (fit, the default command), and what a planned video may bring (predict).",
)


def _pairs(values: list[str] | None, param: str, what: str) -> dict[str, str] | None:
    """``["old=new", ...]`` -> dict; anything without one ``=`` between two names is refused."""
    from viewcast.errors import ConfigError

    if not values:
        return None
    pairs = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key.strip() or not item.strip():
            raise ConfigError(f"{value!r}: expected {what}", param=param)
        pairs[key.strip()] = item.strip()
    return pairs


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [name.strip() for name in text.split(",") if name.strip()]


@followers_app.command("fit")
def fit_command(
    data: Path = typer.Argument(..., help="Per-video table (.csv, .jsonl, .json, .parquet, .xlsx), one row per video."),
    out: Path = typer.Option(..., "--out", help="Output folder for tables, figures and report.html."),
    save_model: Optional[Path] = typer.Option(None, "--save-model", help="Also save the fitted model here (for predict)."),
    target: Optional[str] = typer.Option(None, "--target", help="Column to explain (default newFollowers)."),
    column_map: Optional[list[str]] = typer.Option(
        None, "--column-map", "--map", help="Rename a column first: OLD=NEW (repeat)."
    ),
    ignore: Optional[list[str]] = typer.Option(None, "--ignore", help="Leave a column out of the model (repeat)."),
    categorical: Optional[list[str]] = typer.Option(
        None, "--categorical", help="Categorical column (repeat) (default category, subject)."
    ),
    date_column: Optional[str] = typer.Option(None, "--date-column", help="Column never modelled (default date)."),
    min_level_count: Optional[int] = typer.Option(
        None, "--min-level-count", help="Drop rows whose level occurs this often or less (default 5)."
    ),
    missing_zero: Optional[list[str]] = typer.Option(
        None,
        "--missing-zero",
        help="COL=mean|median|mode|drop|none: zeros in COL mean 'not recorded' (repeat) (default newFollowers=drop, watchedFullVideo=mean).",
    ),
    default_missing_zero: Optional[bool] = typer.Option(
        None, "--default-missing-zero/--no-default-missing-zero", help="Apply the default zero rules (default on)."
    ),
    scale: Optional[str] = typer.Option(
        None, "--scale", help="auto|log|raw: scale of the counts; auto = lower CV RMSE (default auto)."
    ),
    log_columns: Optional[str] = typer.Option(
        None,
        "--log-columns",
        help="Comma-separated counts put on the log scale (default views,likes,comments,shares,saves,totalPlayTime).",
    ),
    standard_errors: Optional[str] = typer.Option(
        None, "--standard-errors", help="auto|classical|hc3; auto = HC3 when Breusch-Pagan rejects (default auto)."
    ),
    bp_alpha: Optional[float] = typer.Option(None, "--bp-alpha", help="Level of the Breusch-Pagan test (default 0.05)."),
    p_adjust: Optional[str] = typer.Option(
        None, "--p-adjust", help="holm|bonferroni|fdr_bh|none: correction for many terms (default holm)."
    ),
    alpha: Optional[float] = typer.Option(None, "--alpha", help="Significance level of the drivers (default 0.05)."),
    alias_vif: Optional[float] = typer.Option(
        None, "--alias-vif", help="A larger VIF makes a term aliased: one is dropped (default 20)."
    ),
    vif_threshold: Optional[float] = typer.Option(None, "--vif-threshold", help="Warn about VIFs above this (default 10)."),
    rows_per_term: Optional[float] = typer.Option(
        None, "--rows-per-term", help="Warn below this many rows per term (default 10)."
    ),
    test_size: Optional[float] = typer.Option(None, "--test-size", help="Share of videos held out for the test (default 0.2)."),
    cv_folds: Optional[int] = typer.Option(
        None, "--cv-folds", help="k of the k-fold CV on the training part; 0 = off (default 5)."
    ),
    fit_on: Optional[str] = typer.Option(
        None, "--fit-on", help="all|train: rows of the reported fit and saved model (default all)."
    ),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the split and the CV folds (default 0)."),
) -> None:
    """Which kinds of videos bring new followers: OLS on per-video analytics, with the cleaning in code."""
    from viewcast.errors import OutputError
    from viewcast.followers.config import FollowersConfig
    from viewcast.followers.pipeline import run
    from viewcast.io.outputs import check_output_folder
    from viewcast.io.persist import check_model_target

    out = check_output_folder(out, param="out")
    if save_model is not None:
        check_model_target(save_model, param="save_model")
        inside = (out.resolve(), *out.resolve().parents)
        if save_model.resolve() in inside or out.resolve() in save_model.resolve().parents:
            raise OutputError(f"{save_model}: must be a folder apart from the output folder {out}", param="save_model")
    given = {
        "target": target, "column_map": _pairs(column_map, "column_map", "OLD=NEW"), "ignore": ignore,
        "categorical": categorical, "date_column": date_column, "min_level_count": min_level_count,
        "missing_zero": _pairs(missing_zero, "missing_zero", "COLUMN=STRATEGY"), "default_missing_zero": default_missing_zero,
        "scale": scale, "log_columns": _names(log_columns), "standard_errors": standard_errors, "bp_alpha": bp_alpha,
        "p_adjust": p_adjust, "alpha": alpha, "alias_vif": alias_vif, "vif_threshold": vif_threshold,
        "rows_per_term": rows_per_term, "test_size": test_size, "cv_folds": cv_folds, "fit_on": fit_on, "seed": seed,
    }  # fmt: skip
    config = FollowersConfig.parse({name: value for name, value in given.items() if value is not None})
    result = run(data, config)
    result.save(out)
    if save_model is not None:
        result.model.save(save_model)
    _summary(result, out, save_model)


def _summary(result: Any, out: Path, save_model: Path | None) -> None:
    from rich.console import Console

    m = result.metrics
    console = Console(highlight=False)
    test = "–" if m["test_rmse_log"] is None else f"{m['test_rmse_log']:.3f}"
    coverage = "" if m["test_pi95_coverage"] is None else f", {m['test_pi95_coverage']:.0%} inside the 95% interval"
    console.print(
        f"[bold]R²[/] {m['r2']:.3f} (adj. {m['adj_r2']:.3f}) on {m['n_fit']} videos, counts on the {m['scale']} scale, "
        f"{m['cov_type']} errors · held-out RMSE (log) {test}{coverage}"
    )
    for sign, colour, mark in (("positive", "green", "+"), ("negative", "red", "−")):
        for line in result.drivers[sign]:
            console.print(f"[{colour}]{mark}[/] {line}")
    if not result.drivers["positive"] and not result.drivers["negative"]:
        console.print("no driver passes the test")
    for text in result.notes[1:-1]:  # the aliases (the first and last notes are scale and errors)
        console.print(f"[cyan]note:[/] {text}")
    for text in result.warnings:
        console.print(f"[yellow]warning:[/] {text}")
    console.print(f"outputs in {out}/ (report.html)" + (f"; model in {save_model}/" if save_model else ""))


def _parse_json(text: str) -> Any:
    """The ``--json`` value as data; NaN/Infinity, huge or deep documents are refused in one line."""
    import json

    from viewcast.errors import DataValidationError, LimitError

    if len(text.encode("utf-8", "replace")) > MAX_JSON_BYTES:
        raise LimitError(f"larger than {MAX_JSON_BYTES >> 20} MB; use a table with --input", param="json")

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise DataValidationError(f"not valid JSON ({exc.msg} at column {exc.colno})", param="json") from None
    except RecursionError:
        raise DataValidationError("JSON nested too deeply", param="json") from None
    except ValueError as exc:  # NaN/Infinity, or an integer longer than Python converts
        raise DataValidationError(str(exc).splitlines()[0][:200], param="json") from None


@followers_app.command("predict")
def predict_command(
    model: Path = typer.Argument(..., help="Model folder written by 'viewcast followers DATA --save-model DIR'."),
    json_text: Optional[str] = typer.Option(None, "--json", help="One planned video as a JSON object (or a list of them)."),
    input_path: Optional[Path] = typer.Option(
        None, "--input", help="Table of planned videos (.csv, .jsonl, .json, .parquet, .xlsx)."
    ),
    output: Optional[Path] = typer.Option(None, "--output", help="Where to write the table with its answers (.csv or .jsonl)."),
) -> None:
    """Expected new followers of planned videos, with 95% prediction intervals."""
    from viewcast.errors import ConfigError, OutputError
    from viewcast.followers.model import FollowersModel
    from viewcast.followers.pipeline import predict
    from viewcast.io.jsonable import dumps
    from viewcast.io.outputs import check_output_file, output_file
    from viewcast.io.registry import load_model

    if (json_text is None) == (input_path is None):
        raise ConfigError("give one planned video with --json or a table of them with --input (one of the two)")
    if input_path is not None and output is None:
        raise ConfigError("--input needs --output (the file to write the answers to)", param="output")
    if output is not None and input_path is None:
        raise ConfigError("--output goes with --input; --json answers on the screen", param="output")
    if output is not None:
        check_output_file(output, param="output", suffixes=(".csv", ".jsonl"))
        if input_path.exists() and output.exists() and output.resolve() == input_path.resolve():
            raise OutputError(f"{output}: is the input table; choose another file", param="output")
    planned = _parse_json(json_text) if json_text is not None else input_path
    fitted = load_model(model, kind=FollowersModel.KIND)
    answers = predict(fitted, planned)
    if output is None:
        typer.echo(dumps(answers))
        return
    with output_file(output, param="output") as temp:
        if output.suffix.lower() == ".csv":
            answers.to_csv(temp, index=False)
        else:
            temp.write_text(answers.to_json(orient="records", lines=True, force_ascii=False))
    typer.echo(f"{len(answers):,} planned videos answered -> {output}")


def synth_videos_command(
    out: Path = typer.Option(..., "--out", help="CSV file to write."),
    rows: int = typer.Option(194, "--rows", help="Number of videos (the study had 194; at least 30)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    effects: str = typer.Option("log", "--effects", help="log (issue 13: log views and shares, length) or study (raw scale)."),
    play_time: str = typer.Option("product", "--play-time", help="product (views × watch time, noisy) or copy (30 × views)."),
) -> None:
    """Per-video analytics in the study's 14 columns, from a known truth (see docs/followers.md)."""
    from viewcast.errors import ConfigError
    from viewcast.io.outputs import check_output_file
    from viewcast.synth.videos import MIN_ROWS, TRUTHS, write_videos

    check_output_file(out, param="out", suffixes=(".csv",))
    if not MIN_ROWS <= rows <= 10_000_000:
        raise ConfigError(f"must be between {MIN_ROWS} and 10,000,000", param="rows")
    if seed < 0:
        raise ConfigError("must be 0 or more", param="seed")
    if effects not in TRUTHS:
        raise ConfigError(f"{effects!r} is not one of {', '.join(TRUTHS)}", param="effects")
    if play_time not in ("product", "copy"):
        raise ConfigError(f"{play_time!r} is not one of product, copy", param="play_time")
    write_videos(out, rows=rows, seed=seed, effects=effects, play_time=play_time)
    typer.echo(f"wrote {rows:,} videos to {out}")


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    """Add ``followers`` (fit by default, and predict) to the root app and ``videos`` to ``data synth``."""
    app.add_typer(followers_app, name="followers")
    synth_app.command("videos")(synth_videos_command)
