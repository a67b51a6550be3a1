"""How forecasts are judged and combined: backtest origins, metrics, combination weights, intervals."""
