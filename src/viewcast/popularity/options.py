"""One-line messages for invalid settings (CLI options and sweep files), without heavy imports."""

from __future__ import annotations

from pydantic import ValidationError


def describe_validation_error(exc: ValidationError) -> str:
    """The first problem pydantic found, as ``field: message (got value)``."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" + (f" (got {error['input']!r})" if "input" in error else "")
