"""The loan-volume forecaster: daily aggregation, LSTM and baselines, rolling evaluation, combination,
adaptive intervals, bundles, serving and its live accuracy."""
