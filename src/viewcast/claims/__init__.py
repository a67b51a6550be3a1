"""Claim vs opinion classifier for video transcripts (issue 4; user guide: docs/claims.md).

``viewcast.claims(data, model="default")`` trains (:func:`viewcast.claims.pipeline.run`, options
in :class:`~viewcast.claims.config.ClaimsConfig`); :func:`~viewcast.claims.pipeline.eda` and
:func:`~viewcast.claims.pipeline.evaluate` explore a table and judge a model on the study's test
split and its stress copies; ``viewcast.load_model(folder).predict(record_or_records)`` labels raw
videos (:class:`~viewcast.claims.data.VideoRecord` is one record's schema).

Why this package can be called: ``viewcast.claims`` is also the API function defined in
``viewcast/__init__.py``, and Python rebinds the name ``viewcast.claims`` to this package as soon
as any of its submodules is imported. So that ``viewcast.claims(data, ...)`` keeps working after
that, calling the package does exactly what the function does.
"""

from __future__ import annotations

import sys

from viewcast.contracts import AnalysisPackage

CONFIG = "ClaimsConfig"
sys.modules[__name__].__class__ = AnalysisPackage
