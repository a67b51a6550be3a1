"""The ``viewcast`` command line: thin adapters over the Python API, and the one error policy.

Every problem the user can fix ends the same way: one line on stderr starting with ``error:`` and
exit code 2, never a traceback. That covers :class:`~viewcast.errors.ViewcastError` from the
library (whose API parameter names are spelled here as flags: ``capacity.headroom`` ->
``--headroom``), click's usage errors (unknown option, missing argument, bad choice) and
operating-system errors on the user's files. An interrupt exits 130 and a SIGTERM 143, both
unwinding like an exception, so temporary folders go and no output is left half written.
Anything else is a bug in viewcast: one line too, exit 1, and the traceback with
``VIEWCAST_DEBUG=1``.

Each analysis adds its commands from its own module (``viewcast.cli.forecast``...), whose heavy
imports happen inside the command functions so that ``--help`` is instant.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Sequence
from typing import Optional

import typer
from rich.console import Console
from rich.text import Text

from viewcast import termination
from viewcast._version import __version__
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

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


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


def flag(param: str) -> str:
    """An API parameter as the command line spells it.

    The innermost part that is a flag of some command names it (``capacity.headroom`` ->
    ``--headroom``); the parts after it say which entry (``missing_zero.views`` ->
    ``--missing-zero views``).
    """
    parts = param.split(".")
    if parts == ["data"]:
        return "DATA"
    known = _known_flags()
    for i in range(len(parts) - 1, -1, -1):
        candidate = "--" + parts[i].replace("_", "-")
        if candidate in known:
            return " ".join([candidate, *parts[i + 1 :]])
    return "--" + parts[0].replace("_", "-") + "".join(f" {part}" for part in parts[1:])


@functools.cache
def _known_flags() -> frozenset[str]:
    """Every long option of every command (walked once from the click command tree)."""
    found: set[str] = set()
    stack = [typer.main.get_command(app)]
    while stack:
        command = stack.pop()
        found.update(opt for param in command.params for opt in getattr(param, "opts", ()) if opt.startswith("--"))
        stack.extend(getattr(command, "commands", {}).values())
    return frozenset(found)


def _register_commands() -> None:
    from viewcast.cli import capacity, claims, followers, forecast, popularity, serve

    for module in (forecast, capacity, followers, claims, popularity, serve):
        module.register(app, synth_app)


_register_commands()


def error_line(message: str) -> None:
    """Print one ``error:`` line on stderr (newlines folded: a message is one line)."""
    err_console.print(Text("error: ", style="bold red") + Text(" ".join(str(message).split())))


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this in-process)."""
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        result = app(args=args, prog_name="viewcast", standalone_mode=False)
    except ViewcastError as exc:
        error_line(exc.render(flag))
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        error_line("aborted")
        return 130
    except typer.TyperException as exc:  # click's usage errors, as vendored by typer
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message())
            return 0
        ctx = getattr(exc, "ctx", None)
        path = ctx.command_path if ctx is not None else "viewcast"
        error_line(f"{exc.format_message()} (see '{path} --help')")
        return int(getattr(exc, "exit_code", 2) or 2)
    except KeyboardInterrupt:
        error_line("interrupted; nothing was written")
        return 130
    except termination.Terminated:
        error_line("terminated; nothing was written")
        return 128 + signal.SIGTERM
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        error_line(f"{where}{exc.strerror or exc}")
        return 2
    except Exception as exc:  # a bug in viewcast: say so in one line, keep the traceback for debugging
        if os.environ.get("VIEWCAST_DEBUG"):
            raise
        error_line(f"internal error ({type(exc).__name__}: {exc}); please report it (VIEWCAST_DEBUG=1 shows the traceback)")
        return 1
    return int(result) if isinstance(result, int) else 0


def main() -> None:
    termination.install()  # `viewcast serve` hands SIGTERM to uvicorn instead
    sys.exit(run())
