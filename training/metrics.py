"""The trainer service's Prometheus metrics, created on an injected registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

NAMESPACE = "ticket_trainer"


class TrainerMetrics:
    """Corrections, refresh runs and their outcomes, training time, model scores and the loan forecast."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        ns = NAMESPACE
        self.corrections = Counter(
            "corrections_received",
            "Agents' corrections read from the feedback topic.",
            ["outcome"],
            namespace=ns,
            registry=registry,
        )
        self.refresh_runs = Counter(
            "refresh_runs",
            "Model refresh runs by outcome (promoted, rejected, failed).",
            ["outcome"],
            namespace=ns,
            registry=registry,
        )
        self.training_seconds = Histogram(
            "training_seconds",
            "Wall time of one training run.",
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600),
            namespace=ns,
            registry=registry,
        )
        self.model_score = Gauge(
            "model_score",
            "Validation scores of the last comparison.",
            ["role", "metric"],
            namespace=ns,
            registry=registry,
        )
        self.current_model = Gauge(
            "current_model_info",
            "The registry's current version (value 1).",
            ["version"],
            namespace=ns,
            registry=registry,
        )
        self.forecast = Gauge(
            "loan_forecast",
            "Latest loan forecast for the next days.",
            ["series", "horizon_days", "bound"],
            namespace=ns,
            registry=registry,
        )
        self.forecasts_published = Counter(
            "forecasts_published", "Forecasts published to the forecast topic.", namespace=ns, registry=registry
        )
        self.loans_received = Counter(
            "loans_received", "Loan events read from loans.created.", ["outcome"], namespace=ns, registry=registry
        )
        # How far the served forecast is off, per horizon band (1-7, 8-30, 31-90 days ahead), over the
        # days of the last four weeks that served forecasts covered (training/forecast/monitor.py).
        self.forecast_scaled_error = Gauge(
            "forecast_scaled_error",
            "Recent MAE of served forecasts over the training series' MASE scale (live MASE).",
            ["series", "band"],
            namespace=ns,
            registry=registry,
        )
        self.forecast_evaluation_error = Gauge(
            "forecast_evaluation_scaled_error",
            "MASE the rolling evaluation measured for the served model (what the live MASE is compared to).",
            ["series", "band"],
            namespace=ns,
            registry=registry,
        )
        self.forecast_coverage = Gauge(
            "forecast_interval_coverage_ratio",
            "Share of recent days inside the interval served with their forecast.",
            ["series", "band"],
            namespace=ns,
            registry=registry,
        )
        self.forecast_scored = Gauge(
            "forecast_scored_days",
            "Forecast days scored in the recent window (one per served forecast and day it covered).",
            ["series", "band"],
            namespace=ns,
            registry=registry,
        )
        # The forecast-staleness alert compares these two: no labels, one series per trainer.
        self.forecast_last_published = Gauge(
            "forecast_last_published_timestamp_seconds",
            "Unix time of the last published forecast (the publisher's start until the first one).",
            namespace=ns,
            registry=registry,
        )
        self.forecast_publish_interval = Gauge(
            "forecast_publish_interval_seconds",
            "How often forecasts are meant to be published (0: never).",
            namespace=ns,
            registry=registry,
        )
        # Known outcomes exist from the start at 0, so an alert's increase() sees the first failure.
        for outcome in ("promoted", "rejected", "failed"):
            self.refresh_runs.labels(outcome=outcome)
