"""Errors that the CLI turns into a one-line message and exit code 2.

Every analysis raises :class:`ViewcastError` (or a subclass) for problems with the user's
input, so that the command line never shows a traceback for bad data and the future service can
map the same exceptions to HTTP 4xx answers.
"""

from __future__ import annotations


class ViewcastError(Exception):
    """Bad input or configuration: the message says what is wrong and where."""

    exit_code = 2


class DataValidationError(ViewcastError):
    """The data file is unusable as given (missing columns, bad values, duplicates...)."""


class ModelLoadError(ViewcastError):
    """A saved model directory is missing, corrupt, tampered with or of the wrong kind."""
