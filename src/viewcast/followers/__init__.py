"""Follower drivers: which kinds of videos bring new followers, and what the next one may bring.

``run(data, FollowersConfig(...)) -> FollowersResult`` is the whole analysis as a pure function
(``viewcast.followers(data, **options)`` from the notebook); ``result.save(dir)`` writes its
tables, figures and report, ``result.model.save(dir)`` the planner, and
``predict(model, planned)`` answers planned videos. Names are imported lazily so that
``viewcast --help`` stays fast.

Importing this package makes Python set ``viewcast.followers`` to the package itself, replacing
the API function of the same name; so the package is callable and does what that function does.
"""

from __future__ import annotations

import sys

from viewcast.contracts import AnalysisPackage

EXPORTS = {
    "run": "viewcast.followers.pipeline",
    "predict": "viewcast.followers.pipeline",
    "FollowersConfig": "viewcast.followers.config",
    "STUDY_RECIPE": "viewcast.followers.config",
    "FollowersResult": "viewcast.followers.result",
    "FollowersModel": "viewcast.followers.model",
    "PlannedVideo": "viewcast.followers.planned",
    "PlannedAnswer": "viewcast.followers.planned",
}
__all__ = list(EXPORTS)


CONFIG = "FollowersConfig"
sys.modules[__name__].__class__ = AnalysisPackage
