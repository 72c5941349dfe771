"""The trainer service's Prometheus metrics, created on an injected registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from core.metrics import MetricFactory

NAMESPACE = "ticket_trainer"


class TrainerMetrics:
    """Corrections, refresh runs and their outcomes, training time, model scores and the loan forecast."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        metric = MetricFactory(NAMESPACE, registry)
        self.corrections = metric.counter(
            "corrections_received", "Agents' corrections read from the feedback topic.", ["outcome"]
        )
        self.refresh_runs = metric.counter(
            "refresh_runs", "Model refresh runs by outcome (promoted, rejected, failed).", ["outcome"]
        )
        self.training_seconds = metric.histogram(
            "training_seconds", "Wall time of one training run.", (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600)
        )
        self.model_score = metric.gauge("model_score", "Validation scores of the last comparison.", ["role", "metric"])
        self.current_model = metric.gauge(
            "current_model_info", "The registry's current version (value 1).", ["version"]
        )
        self.forecast = metric.gauge(
            "loan_forecast", "Latest loan forecast for the next days.", ["series", "horizon_days", "bound"]
        )
        self.forecasts_published = metric.counter("forecasts_published", "Forecasts published to the forecast topic.")
        self.loans_received = metric.counter("loans_received", "Loan events read from loans.created.", ["outcome"])
        # How far the served forecast is off, per horizon band (1-7, 8-30, 31-90 days ahead), over the
        # days of the last four weeks that served forecasts covered (training/forecast/monitor.py).
        self.forecast_scaled_error = metric.gauge(
            "forecast_scaled_error",
            "Recent MAE of served forecasts over the training series' MASE scale (live MASE).",
            ["series", "band"],
        )
        self.forecast_evaluation_error = metric.gauge(
            "forecast_evaluation_scaled_error",
            "MASE the rolling evaluation measured for the served model (what the live MASE is compared to).",
            ["series", "band"],
        )
        self.forecast_coverage = metric.gauge(
            "forecast_interval_coverage_ratio",
            "Share of recent days inside the interval served with their forecast.",
            ["series", "band"],
        )
        self.forecast_scored = metric.gauge(
            "forecast_scored_days",
            "Forecast days scored in the recent window (one per served forecast and day it covered).",
            ["series", "band"],
        )
        # The forecast-staleness alert compares these two: no labels, one series per trainer.
        self.forecast_last_published = metric.gauge(
            "forecast_last_published_timestamp_seconds",
            "Unix time of the last published forecast (the publisher's start until the first one).",
        )
        self.forecast_publish_interval = metric.gauge(
            "forecast_publish_interval_seconds", "How often forecasts are meant to be published (0: never)."
        )
        # Known outcomes exist from the start at 0, so an alert's increase() sees the first failure.
        for outcome in ("promoted", "rejected", "failed"):
            self.refresh_runs.labels(outcome=outcome)
