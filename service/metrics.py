"""The router's Prometheus metrics, created on an injected registry (a fresh one per test)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, ProcessCollector

from classifier.masking import ENTITIES
from core.metrics import MetricFactory

NAMESPACE = "ticket_router"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


class RouterMetrics:
    """Every metric the router exports. Labels are low-cardinality: department, reason, topic, outcome."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        ProcessCollector(registry=registry)  # process_resident_memory_bytes, CPU seconds, open files
        metric = MetricFactory(NAMESPACE, registry)
        self.consumed = metric.counter("events_consumed", "Records read from input topics.", ["topic"])
        self.routed = metric.counter(
            "events_routed", "Events published to a department topic.", ["department", "reason"]
        )
        self.by_priority = metric.counter(
            "events_by_priority",
            "Events published to a department topic, by priority (urgent, normal).",
            ["department", "priority"],
        )
        self.dead_lettered = metric.counter(
            "events_dead_lettered", "Records sent to the dead-letter topic.", ["reason"]
        )
        self.masked_entities = metric.counter(
            "masked_entities",
            "Personal data replaced by a tag in routed events and dead letters (counts only, never values).",
            ["entity"],
        )
        for entity in ENTITIES:  # every entity exported from the start, at 0
            self.masked_entities.labels(entity=entity)
        self.batch_size = metric.histogram("batch_size_events", "Records per processed batch.", BATCH_BUCKETS)
        self.inference_seconds = metric.histogram("inference_seconds", "Model time per batch.", LATENCY_BUCKETS)
        self.batch_seconds = metric.histogram(
            "batch_seconds",
            "Time from poll to committed batch (parse, clean, classify, produce, commit).",
            LATENCY_BUCKETS,
        )
        self.end_to_end_seconds = metric.histogram(
            "end_to_end_seconds",
            "From the input record's Kafka timestamp to the commit of its routed event.",
            LATENCY_BUCKETS,
        )
        self.confidence = metric.histogram(
            "prediction_confidence", "Top-label confidence of routed events.", CONFIDENCE_BUCKETS
        )
        self.model_info = metric.gauge("model_info", "The model version in service (value 1).", ["version"])
        self.model_reloads = metric.counter("model_reloads", "Attempts to load a new model version.", ["outcome"])
        self.consumer_lag = metric.gauge(
            "consumer_lag_messages", "Records behind the high watermark.", ["topic", "partition"]
        )
        self.commits = metric.counter("batch_commits", "Batch commit outcomes (committed, aborted).", ["outcome"])
        self.ready = metric.gauge("ready", "1 when the model is loaded and partitions are assigned.")
        self.fetch_stalled = metric.gauge(
            "fetch_stalled", "1 while records wait on assigned partitions but none has been consumed for stall_after_s."
        )
        self.allocator = metric.gauge("allocator_info", "The memory allocator of the process (value 1).", ["allocator"])
        self.broker_reconnects = metric.counter(
            "broker_reconnects", "Times the Kafka clients were rebuilt after a broker error."
        )

        # Known outcomes exist from the start at 0, so an alert's increase() sees the first refusal.
        for outcome in ("loaded", "refused"):
            self.model_reloads.labels(outcome=outcome)

    def set_model(self, version: str) -> None:
        """Mark ``version`` as the only model in service."""
        self.model_info.clear()
        self.model_info.labels(version=version).set(1)
