"""Commands of this analysis; filled in by its issue."""

from __future__ import annotations

import typer


def register(app: typer.Typer, synth_app: typer.Typer) -> None:
    """Add this analysis' commands to the root app and its generators to ``data synth``."""
