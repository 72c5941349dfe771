"""The loan-volume forecaster: daily aggregation, LSTM and baselines, backtests, intervals, bundles, serving."""
