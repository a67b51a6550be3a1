"""Render the analyses' HTML reports.

Reports are single files: every plot is embedded as a base64 PNG so a report can be mailed or
attached to a ticket without its folder. Each analysis has its own template that extends
``base.html`` (shared styles, header with version and generation time). Writing goes through
:class:`viewcast.io.outputs.OutputFolder` like every other output.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from viewcast._version import __version__

_ENV = Environment(
    loader=PackageLoader("viewcast", "report/templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _fmt_number(value: Any, digits: int = 3) -> str:
    """Readable numbers in tables: thousands separators for big ones, significant digits else."""
    if value is None:
        return "–"
    if isinstance(value, bool) or (not isinstance(value, (int, float)) and not hasattr(value, "__float__")):
        return str(value)
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return "–"
    if abs(number) >= 1000:
        return f"{number:,.0f}"
    return f"{number:.{digits}g}"


_ENV.filters["num"] = _fmt_number


def embed_png(path: str | os.PathLike[str]) -> str:
    """Return a ``data:`` URI for a PNG file so the report needs no side files."""
    data = Path(path).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def render_report(template: str, **context: Any) -> str:
    context.setdefault("version", __version__)
    context.setdefault("generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    return _ENV.get_template(template).render(**context)
