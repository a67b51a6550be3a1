"""Readers of forecast models saved by older viewcast versions (0.1: format 1, 0.2: format 2).

Those versions chose one model per run and calibrated its bands with a fitted error-growth
profile ``a * h**b``; this version combines members per series with conformal bands. These
modules only *read* the older models and forecast with them as they did (their recorded numbers
are pinned by tests/forecasting/test_fixtures.py); nothing here is used to fit. Like skops'
``io/old``, they stay small and are only ever extended, never changed.
"""

from viewcast.forecasting.old.model import read_old_model

__all__ = ["read_old_model"]
