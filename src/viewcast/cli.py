"""The ``viewcast`` command line: a thin layer over the Python API.

Each analysis registers its own commands from ``viewcast.<analysis>.cli`` (imports there stay
light so that ``--help`` is instant). Errors in the user's input surface as
:class:`~viewcast.errors.ViewcastError` and become one red line on stderr with exit code 2.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

import typer
from rich.console import Console
from rich.text import Text

from viewcast import __version__
from viewcast.errors import ViewcastError

app = typer.Typer(
    name="viewcast",
    help="Forecast and explain audience demand on content platforms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
data_app = typer.Typer(help="Data utilities: synthetic data sets with known ground truth.", no_args_is_help=True)
synth_app = typer.Typer(help="Write synthetic data sets in the formats the analyses read.", no_args_is_help=True)
data_app.add_typer(synth_app, name="synth")
app.add_typer(data_app, name="data")

err_console = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"viewcast {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version_callback, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Forecast and explain audience demand on content platforms."""


def _register_analyses() -> None:
    from viewcast.claims import cli as claims_cli
    from viewcast.followers import cli as followers_cli
    from viewcast.forecasting import cli as forecasting_cli
    from viewcast.popularity import cli as popularity_cli

    for module in (forecasting_cli, followers_cli, claims_cli, popularity_cli):
        module.register(app, synth_app)


_register_analyses()


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this in-process)."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="viewcast", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ViewcastError as exc:
        err_console.print(Text("error: ", style="bold red") + Text(str(exc)), highlight=False, soft_wrap=True)
        return exc.exit_code
    except typer.Abort:
        err_console.print("aborted")
        return 1
    return 0


def main() -> None:
    sys.exit(run())
