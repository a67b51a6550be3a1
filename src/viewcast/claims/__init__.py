"""Claim vs opinion classifier for video transcripts (issue 4; user guide: docs/claims.md).

Pure API used by the CLI (and a future service): :func:`~viewcast.claims.schema.load_claims`,
:func:`~viewcast.claims.models.train_claims`, :func:`~viewcast.claims.models.load_claims_model`,
:func:`~viewcast.claims.evaluate.evaluate_claims`, :func:`~viewcast.claims.eda.run_eda` and
:func:`~viewcast.claims.predict.label_rows`.
"""
