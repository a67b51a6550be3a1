"""The one error type of viewcast: what is wrong, and which input it is about.

Library code raises :class:`ViewcastError` (or a subclass) for anything the caller can fix: a bad
option, a bad table, a model folder that does not load, an output target that cannot be written.
Messages name *API parameters* (``horizon``, ``capacity.headroom``) or data locations (file, row,
column) and never command-line flags: each front end translates ``param`` into its own words —
the CLI into ``--headroom`` and exit code 2 (:mod:`viewcast.cli.app`), the service into a JSON
field path and an HTTP 4xx (:mod:`viewcast.service`).
"""

from __future__ import annotations

from collections.abc import Callable


class ViewcastError(Exception):
    """Bad input or configuration.

    ``param`` is the dotted API parameter the problem is about (``"capacity.headroom"``) or None
    when it is about data, a file or a model folder. ``status`` is the HTTP status a service
    answers with. ``str(error)`` reads ``"param: message"``.
    """

    exit_code = 2
    status = 422

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    def __str__(self) -> str:
        return self.render()

    def render(self, name: Callable[[str], str] = lambda param: param) -> str:
        """The message with the parameter spelled by ``name`` (a CLI flag, a JSON path...)."""
        return f"{name(self.param)}: {self.message}" if self.param else self.message


class ConfigError(ViewcastError):
    """An option is out of range, of the wrong type, or contradicts another option."""


class DataValidationError(ViewcastError):
    """The data is unusable as given (missing columns, bad values, duplicates, too short...)."""


class ModelLoadError(ViewcastError):
    """A saved model folder is missing, corrupt, tampered with, unsigned or of the wrong kind."""


class OutputError(ViewcastError):
    """An output target cannot be written (a file in the way, a folder that is not ours...)."""


class NotFoundError(ViewcastError):
    """A named thing (a model in the service's registry) does not exist."""

    status = 404


class LimitError(ViewcastError):
    """A value or a request is beyond a stated cap (series per request, servers per day...)."""
