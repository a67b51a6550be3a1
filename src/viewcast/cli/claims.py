"""``viewcast claims eda|train|evaluate|predict`` and ``viewcast data synth claims``: thin adapters.

Each command parses its flags into a config, checks every output target, runs one function of
:mod:`viewcast.claims.pipeline` and saves its result. The work and the checks live in the
claims package (imported inside each command so that ``--help`` stays instant).

Output targets are taken as text, not ``Path``: ``Path("")`` is ``"."``, and an empty ``--out``
(an unset shell variable) must be refused, not written into the current folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from viewcast.cli.backend import backend_option, backend_options, scheduler_option, workers_option

claims_app = typer.Typer(
    help="Classify video transcripts as claims or opinions (route claims to fact-checking).", no_args_is_help=True
)
MAX_SYNTH_ROWS = 10_000_000


@claims_app.command("eda")
def eda_command(
    data: Path = typer.Argument(..., help="claims table (CSV/JSONL/Parquet) in the study's schema"),
    out: str = typer.Option(..., "--out", help="folder for PNGs, eda.json and report.html"),
) -> None:
    """Class balance, missing values, plots, telling words and a leakage audit."""
    from viewcast.claims.pipeline import eda
    from viewcast.io.outputs import check_output_folder

    target = check_output_folder(out, param="out")
    result = eda(data)
    result.save(target)
    typer.echo(
        f"{result.rows:,} videos; {len(result.shortcuts)} shortcut(s) found by the leakage audit; report: {target / 'report.html'}"
    )
    for finding in result.shortcuts:
        typer.echo(f"  - {finding.check}: {finding.detail}")


@claims_app.command("train")
def train_command(
    data: Path = typer.Argument(..., help="labelled claims table"),
    out: str = typer.Option(..., "--out", help="model folder to write"),
    model: str = typer.Option("default", "--model", help="default, reference (the study's network) or encoder (optional, slow)"),
    seed: int = typer.Option(0, "--seed"),
    cv: Optional[int] = typer.Option(None, "--cv", help="also report stratified K-fold cross-validation (2..100 folds)"),
    epochs: int = typer.Option(20, "--epochs", help="epochs of the reference network (the study: 20)"),
    encoder: Optional[Path] = typer.Option(None, "--encoder", help="sentence-transformers model folder for --model encoder"),
) -> None:
    """Train on the study's split (train/validation/test = 64/16/20 %, random_state=1)."""
    from viewcast.claims.config import ClaimsConfig
    from viewcast.claims.pipeline import run
    from viewcast.io.persist import check_model_target

    config = ClaimsConfig.parse(model=model, seed=seed, cv=cv, epochs=epochs, encoder=encoder)
    check_model_target(out, param="out")
    result = run(data, config)
    result.save(out)
    summary = result.to_dict()
    typer.echo(
        f"{config.model} model trained on {summary['train_rows']:,} rows in {summary['train_seconds']:.2f} s; "
        f"validation accuracy {summary['val_accuracy']:.4f}, F1 {summary['val_f1']:.4f}; saved to {out}"
    )
    if "cv" in summary:
        typer.echo(f"{config.cv}-fold CV accuracy {summary['cv']['accuracy_mean']:.4f} ± {summary['cv']['accuracy_std']:.4f}")


@claims_app.command("evaluate")
def evaluate_command(
    model_dir: Path = typer.Argument(..., help="model folder written by 'claims train'"),
    data: Path = typer.Argument(..., help="the labelled table it was trained on"),
    out: str = typer.Option(..., "--out", help="folder for metrics.json, plots, misclassified.csv and report.html"),
    seed: int = typer.Option(0, "--seed", help="seed of the typo and shuffle stress copies"),
) -> None:
    """Metrics on the study's test split and on stress copies of it."""
    from viewcast.claims.config import EvaluationConfig
    from viewcast.claims.pipeline import evaluate
    from viewcast.io.outputs import check_output_folder
    from viewcast.io.registry import kinds_of, load_model

    config = EvaluationConfig.parse(seed=seed)
    check_output_folder(out, param="out")
    result = evaluate(load_model(model_dir, kind=kinds_of("claims")), data, config)
    result.save(out)
    m = result.metrics
    typer.echo(f"test split: accuracy {m['accuracy']:.4f}, F1 {m['f1']:.4f}, ROC AUC {m['roc_auc']:.4f}")
    for name, s in result.stress.items():
        typer.echo(f"  {name:16s} accuracy {s['accuracy']:.4f}")
    for warning in result.warnings:
        typer.echo(f"warning: {warning}")


@claims_app.command("predict")
def predict_command(
    model_dir: Path = typer.Argument(..., help="model folder"),
    json_record: Optional[str] = typer.Option(None, "--json", help="one video (a JSON object) or a list of videos"),
    input_path: Optional[Path] = typer.Option(
        None,
        "--input",
        help="batch of videos (.csv, .jsonl, .json, .parquet, .xlsx), or a folder of .csv/.parquet/.jsonl/.json files",
    ),
    output: Optional[str] = typer.Option(None, "--output", help="where to write the batch predictions (.csv or .jsonl)"),
    backend: str = backend_option(),
    scheduler: Optional[str] = scheduler_option(),
    workers: int = workers_option(),
) -> None:
    """Label videos from raw fields; each prediction has a label and its probability.

    A folder given to --input is scored file by file (on Dask workers with --backend dask) and the
    predictions are written in file-name order."""
    from viewcast.claims.data import parse_json
    from viewcast.claims.pipeline import predict_table
    from viewcast.claims.result import PREDICTION_SUFFIXES
    from viewcast.compute import BackendConfig
    from viewcast.errors import ConfigError, DataValidationError
    from viewcast.io.jsonable import dumps
    from viewcast.io.outputs import check_output_file
    from viewcast.io.registry import kinds_of, load_model

    if (json_record is None) == (input_path is None):
        raise ConfigError("give exactly one of --json or --input")
    if (input_path is None) != (output is None):
        raise ConfigError("--input and --output go together")
    compute = BackendConfig.parse(backend_options(backend, scheduler, workers))
    if output is not None:
        check_output_file(output, param="output", suffixes=PREDICTION_SUFFIXES)
    model = load_model(model_dir, kind=kinds_of("claims"))
    if json_record is not None:
        try:
            answer = model.predict(parse_json(json_record))
        except DataValidationError as exc:  # the request is what --json holds
            raise DataValidationError(exc.message, param="json") from None
        typer.echo(dumps(answer, indent=None))
        return
    batch = predict_table(model, input_path, compute)
    batch.save(output, param="output")
    counts = batch.label_counts()
    typer.echo(f"{len(batch.table):,} videos: {counts['claim']:,} claims, {counts['opinion']:,} opinions -> {output}")


def synth_claims_command(
    out: str = typer.Option(..., "--out", help="CSV file to write"),
    rows: int = typer.Option(2000, "--rows", min=2, max=MAX_SYNTH_ROWS),
    seed: int = typer.Option(0, "--seed", min=0),
    leaky: bool = typer.Option(True, "--leaky/--no-leaky", help="build in the study's shortcuts (counts by class, '#' sorted)"),
) -> None:
    """Synthetic videos in the claims schema with known labels."""
    from viewcast.io.outputs import check_output_file
    from viewcast.synth.claims import write_claims

    check_output_file(out, param="out", suffixes=(".csv",))
    write_claims(out, rows, seed, leaky)
    typer.echo(f"wrote {rows:,} synthetic videos to {out}")


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    """Add this analysis' commands to the root app and its generators to ``data synth``."""
    app.add_typer(claims_app, name="claims")
    synth_app.command("claims")(synth_claims_command)
