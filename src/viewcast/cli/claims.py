"""``viewcast claims ...`` commands and the ``viewcast data synth claims`` generator.

Only argument parsing and short summaries live here; the work is in the claims package (imported
inside each command so that ``--help`` stays instant).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

claims_app = typer.Typer(
    help="Classify video transcripts as claims or opinions (route claims to fact-checking).", no_args_is_help=True
)


@claims_app.command("eda")
def eda_command(
    data: Path = typer.Argument(..., help="claims table (CSV/JSONL/Parquet) in the study's schema"),
    out: Path = typer.Option(..., "--out", help="folder for PNGs, eda.json and report.html"),
) -> None:
    """Class balance, missing values, plots, telling words and a leakage audit."""
    from viewcast.atomic import check_output_dir
    from viewcast.claims.eda import eda_file

    check_output_dir(out)
    result = eda_file(data)
    result.save(out)
    leaks = [f for f in result.findings if f.leak]
    typer.echo(f"{result.n_rows:,} videos; {len(leaks)} shortcut(s) found by the leakage audit; report: {out / 'report.html'}")
    for finding in leaks:
        typer.echo(f"  - {finding.check}: {finding.detail}")


@claims_app.command("train")
def train_command(
    data: Path = typer.Argument(..., help="labelled claims table"),
    out: Path = typer.Option(..., "--out", help="model directory to write"),
    model: str = typer.Option("default", "--model", help="reference (the study's network), default, or encoder (optional, slow)"),
    seed: int = typer.Option(0, "--seed"),
    cv: Optional[int] = typer.Option(None, "--cv", help="also report stratified K-fold cross-validation"),
    epochs: int = typer.Option(20, "--epochs", help="epochs of the reference network (the study: 20)", min=1),
    encoder: Optional[Path] = typer.Option(None, "--encoder", help="sentence-transformers model directory for --model encoder"),
) -> None:
    """Train on the study's split (train/validation/test = 64/16/20 %, random_state=1)."""
    from viewcast.claims.models import MODEL_CHOICES, train_claims
    from viewcast.claims.schema import load_claims
    from viewcast.errors import DataValidationError
    from viewcast.persist import check_model_target

    if model not in MODEL_CHOICES:
        raise DataValidationError(f"--model {model!r}: choose one of {', '.join(MODEL_CHOICES)}")
    check_model_target(out, "--out")
    result = train_claims(load_claims(data), model, seed=seed, cv=cv, epochs=epochs, encoder=encoder)
    result.save(out)
    summary = result.summary()
    typer.echo(
        f"{model} model trained on {summary['train_rows']:,} rows in {summary['train_seconds']:.2f} s; "
        f"validation accuracy {summary['val_accuracy']:.4f}, F1 {summary['val_f1']:.4f}; saved to {out}"
    )
    if "cv" in summary:
        typer.echo(f"{cv}-fold CV accuracy {summary['cv']['accuracy_mean']:.4f} ± {summary['cv']['accuracy_std']:.4f}")


@claims_app.command("evaluate")
def evaluate_command(
    model_dir: Path = typer.Argument(..., help="model directory written by 'claims train'"),
    data: Path = typer.Argument(..., help="the labelled table it was trained on"),
    out: Path = typer.Option(..., "--out", help="folder for metrics.json, plots, misclassified.csv and report.html"),
    seed: int = typer.Option(0, "--seed", help="seed of the typo and shuffle stress copies"),
) -> None:
    """Metrics on the study's test split and on stress copies of it."""
    from viewcast.atomic import check_output_dir
    from viewcast.claims.evaluate import evaluate_claims
    from viewcast.claims.models import load_claims_model
    from viewcast.claims.schema import load_claims

    check_output_dir(out)
    model = load_claims_model(model_dir)
    result = evaluate_claims(model, load_claims(data), seed=seed, trained_rows=model.training_summary_.get("rows"))
    result.save(out)
    m = result.metrics
    typer.echo(f"test split: accuracy {m['accuracy']:.4f}, F1 {m['f1']:.4f}, ROC AUC {m['roc_auc']:.4f}")
    for name, s in result.stress.items():
        typer.echo(f"  {name:16s} accuracy {s['accuracy']:.4f}")
    for warning in result.warnings:
        typer.echo(f"warning: {warning}")


@claims_app.command("predict")
def predict_command(
    model_dir: Path = typer.Argument(..., help="model directory"),
    json_record: Optional[str] = typer.Option(None, "--json", help="one video as a JSON object"),
    input_path: Optional[Path] = typer.Option(None, "--input", help="batch of videos (.csv, .jsonl)"),
    output: Optional[Path] = typer.Option(None, "--output", help="where to write the batch predictions (.csv or .jsonl)"),
) -> None:
    """Label videos from raw fields; each prediction has a label and its probability."""
    from viewcast.atomic import check_output_file
    from viewcast.claims.models import load_claims_model
    from viewcast.claims.predict import predict_file, predict_json
    from viewcast.errors import DataValidationError

    if (json_record is None) == (input_path is None):
        raise DataValidationError("give exactly one of --json or --input")
    if input_path is not None and output is None:
        raise DataValidationError("--input needs --output")
    if output is not None:
        check_output_file(output, "--output")
    model = load_claims_model(model_dir)
    if json_record is not None:
        typer.echo(json.dumps(predict_json(model, json_record)))
        return
    result = predict_file(model, input_path, output)
    counts = result["label"].value_counts()
    typer.echo(
        f"{len(result):,} videos: {int(counts.get('claim', 0)):,} claims, {int(counts.get('opinion', 0)):,} opinions -> {output}"
    )


def synth_claims_command(
    out: Path = typer.Option(..., "--out", help="CSV file to write"),
    rows: int = typer.Option(2000, "--rows", min=2),
    seed: int = typer.Option(0, "--seed"),
    leaky: bool = typer.Option(True, "--leaky/--no-leaky", help="build in the study's shortcuts (counts by class, '#' sorted)"),
) -> None:
    """Synthetic videos in the claims schema with known labels."""
    from viewcast.synth.claims import write_claims

    write_claims(out, rows, seed, leaky)
    typer.echo(f"wrote {rows:,} synthetic videos to {out}")


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    """Add this analysis' commands to the root app and its generators to ``data synth``."""
    app.add_typer(claims_app, name="claims")
    synth_app.command("claims")(synth_claims_command)
