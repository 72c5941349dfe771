"""The console's Prometheus metrics, created on an injected registry (a fresh one per test)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, ProcessCollector

from console.store import QueueStats
from core.metrics import MetricFactory

NAMESPACE = "ticket_console"
RESOLVE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ConsoleMetrics:
    """Every metric the console exports. Labels are low-cardinality: outcome, department, priority, reason."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        ProcessCollector(registry=registry)
        metric = MetricFactory(NAMESPACE, registry)
        self.ingested = metric.counter(
            "items_ingested",
            "Triage records read: new work items, or redelivered events that changed nothing.",
            ["outcome"],
        )
        self.refused = metric.counter(
            "records_refused",
            "Triage records that could not be queued (logged with topic/partition/offset, then skipped).",
            ["reason"],
        )
        self.resolutions = metric.counter(
            "resolutions",
            "Agents' decisions: outcome top1/top3/other against the model; department triage = not about banking.",
            ["outcome", "department"],
        )
        self.returns = metric.counter("returns", "Events sent back to the queue by a department.")
        self.publish_failures = metric.counter(
            "publish_failures", "Kafka transactions of decisions that failed (retried by the console)."
        )
        self.resolve_seconds = metric.histogram(
            "resolve_seconds", "Time to record a decision and publish it in one Kafka transaction.", RESOLVE_BUCKETS
        )
        self.open_items = metric.gauge("open_items", "Open work items.", ["priority"])
        self.oldest_open_age = metric.gauge("oldest_open_age_seconds", "Time the oldest open item has waited.")
        self.agreement = metric.gauge(
            "model_agreement_ratio",
            "Share of decisions in the stats window that took the model's first (top1) or one of its top three (top3).",
            ["rank"],
        )

    def show(self, stats: QueueStats) -> None:
        """Set the queue gauges from a fresh reading of the store."""
        for priority in ("urgent", "normal"):
            self.open_items.labels(priority=priority).set(stats.open_by_priority.get(priority, 0))
        self.oldest_open_age.set(stats.oldest_open_age_s)
        for rank, value in (("top1", stats.agreement_top1), ("top3", stats.agreement_top3)):
            self.agreement.labels(rank=rank).set(float("nan") if value is None else value)
