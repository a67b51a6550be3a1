"""Views forecast for capacity planning: ``viewcast.forecast(data, **options)``.

Where things live:

* ``config.py``: :class:`ForecastConfig` (with :class:`LSTMRecipe` and :class:`CapacityConfig`),
  every option bounded and finite;
* ``data.py`` and ``panel.py``: views tables in the study's or the long format, validated, and
  their daily series per total, category or creator;
* ``models/``: the model pool (``POOL``): seasonal naive, ETS, ARIMA, Theta, the study's LSTM
  and their ensemble, each a :class:`~viewcast.forecasting.models.base.Forecaster`, with the
  safe state codec for statsforecast models;
* ``evaluation/``: the one rolling-origin backtest, metrics, candidates and the selection rule,
  conformal interval calibration;
* ``capacity.py``: servers and cost on the 95% bound;
* ``model.py``: :class:`ForecastModel`, the saved model kind ``"forecast"`` (``predict`` on new
  history);
* ``pipeline.py``: ``run(data, config)`` and ``run_saved(model, data, config)``;
* ``result.py`` and ``report.py``: :class:`ForecastResult` and its files.
"""
