"""Follower drivers: which kinds of videos bring new followers (OLS on per-video analytics).

``analyse(frame, FollowersConfig(...)) -> FollowersResult`` is the whole analysis as a pure
function; ``FollowersResult.save(dir)`` writes its tables, figures and report. The names are
imported lazily so that ``viewcast --help`` (which imports ``viewcast.cli.followers``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "analyse": "viewcast.followers.analysis",
    "FollowersConfig": "viewcast.followers.config",
    "FollowersResult": "viewcast.followers.result",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'viewcast.followers' has no attribute {name!r}")
