"""A SIGTERM that cannot be lost: the command stops, and nothing it was writing appears.

The CLI's handler raises :class:`Terminated` wherever the program is, so that cleanup runs (the
default action kills at once and leaves worker processes and staging folders behind). Python can
only print an exception raised inside a ctypes callback (LightGBM's logger) or a finaliser, so the
handler also records the request, and the output writer checks it just before an output appears:
a run whose SIGTERM was swallowed still writes nothing and exits 143 (the killed-forecast test
once saw such a run finish and exit 0). The "Exception ignored" report Python prints for it is
silenced too: the run's one line says what happened.
"""

from __future__ import annotations

import signal
import sys
from typing import Any


class Terminated(BaseException):
    """SIGTERM (a ``BaseException``, like ``KeyboardInterrupt``: no ``except Exception`` stops it)."""


_requested = False


def on_sigterm(signum: int, frame: object) -> None:
    """The SIGTERM handler: remember the request, and raise where the program is."""
    global _requested
    _requested = True
    raise Terminated


def quiet_unraisable(unraisable: Any) -> None:
    """``sys.unraisablehook`` that drops a swallowed :class:`Terminated` (the request is recorded)."""
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, Terminated):
        return
    sys.__unraisablehook__(unraisable)


def install() -> None:
    """Handle SIGTERM this way in this process (the CLI; ``viewcast serve`` hands it to uvicorn)."""
    signal.signal(signal.SIGTERM, on_sigterm)
    sys.unraisablehook = quiet_unraisable


def requested() -> bool:
    """Whether SIGTERM arrived (even if its exception was swallowed)."""
    return _requested


def check() -> None:
    """Raise :class:`Terminated` if SIGTERM arrived: called before an output appears."""
    if _requested:
        raise Terminated
