"""Views forecast for capacity planning: ``viewcast.forecast(data, **options)``.

Where things live (docs/forecast.md has the method with its formulas and measured figures):

* ``config.py``: :class:`ForecastConfig` (with :class:`LSTMRecipe` and :class:`CapacityConfig`),
  every option bounded and finite;
* ``data.py`` and ``panel.py``: views tables in the study's or the long format, validated, and
  their daily series per total, category or creator;
* ``cleaning.py``: isolated outliers replaced before models see a history;
* ``models/``: the pool: statsforecast's models fitted per series and forwarded, a global
  LightGBM on lags (numpy features), the study's LSTM; the safe state codec;
* ``evaluation/``: backtest origins, metrics, per-series combination weights, conformal bands;
* ``members.py``: which members run on this panel, each fitted once and forecast from every
  origin (local worker processes or Dask); ``total.py``: the total's own forecast, and the choice
  between it and the sum of the series; ``holiday_effects.py``: public holidays ahead;
* ``backtest.py``: the backtest of a run, its scores, scaled errors and held-out coverage;
* ``training.py``: one pass that fits every member once, backtests and calibrates;
* ``combination.py``: the fitted combination, which forecasts any history of its series;
* ``capacity.py``: servers and cost on the 95% bound;
* ``model.py``: :class:`ForecastModel`, the saved model kind ``"forecast"`` (``predict`` on new
  history); ``old/`` reads models saved by viewcast 0.1 and 0.2;
* ``pipeline.py``: ``run(data, config)`` and ``run_saved(model, data, config)``;
* ``result.py`` and ``report.py``: :class:`ForecastResult` and its files.
"""
