"""Content popularity from request logs, judged as a cache (issues 5, 9 and 12; guide: docs/popularity.md).

``viewcast.popularity(data, **options)`` prepares (if needed), trains, evaluates and replays
(:func:`viewcast.popularity.pipeline.run`, options in
:class:`~viewcast.popularity.config.PopularityConfig`); ``result.model`` ranks the next slot's
items from its saved feature state (:class:`~viewcast.popularity.model.PopularityModel`).

Why this package can be called: ``viewcast.popularity`` is also the API function defined in
``viewcast/__init__.py``, and Python rebinds the name ``viewcast.popularity`` to this package as
soon as any of its submodules is imported. So that ``viewcast.popularity(data, ...)`` keeps
working after that, calling the package does exactly what the function does.
"""

from __future__ import annotations

import sys

from viewcast.contracts import AnalysisPackage

CONFIG = "PopularityConfig"
sys.modules[__name__].__class__ = AnalysisPackage
