"""How forecasts are judged: rolling-origin backtest, accuracy metrics, model selection, intervals."""
