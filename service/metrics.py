"""The router's Prometheus metrics, created on an injected registry (a fresh one per test)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

from classifier.masking import ENTITIES

NAMESPACE = "ticket_router"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


class RouterMetrics:
    """Every metric the router exports. Labels are low-cardinality: department, reason, topic, outcome."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        ProcessCollector(registry=registry)  # process_resident_memory_bytes, CPU seconds, open files
        ns = NAMESPACE
        self.consumed = Counter(
            "events_consumed", "Records read from input topics.", ["topic"], namespace=ns, registry=registry
        )
        self.routed = Counter(
            "events_routed",
            "Events published to a department topic.",
            ["department", "reason"],
            namespace=ns,
            registry=registry,
        )
        self.by_priority = Counter(
            "events_by_priority",
            "Events published to a department topic, by priority (urgent, normal).",
            ["department", "priority"],
            namespace=ns,
            registry=registry,
        )
        self.dead_lettered = Counter(
            "events_dead_lettered",
            "Records sent to the dead-letter topic.",
            ["reason"],
            namespace=ns,
            registry=registry,
        )
        self.masked_entities = Counter(
            "masked_entities",
            "Personal data replaced by a tag in routed events and dead letters (counts only, never values).",
            ["entity"],
            namespace=ns,
            registry=registry,
        )
        for entity in ENTITIES:  # every entity exported from the start, at 0
            self.masked_entities.labels(entity=entity)
        self.batch_size = Histogram(
            "batch_size_events", "Records per processed batch.", buckets=BATCH_BUCKETS, namespace=ns, registry=registry
        )
        self.inference_seconds = Histogram(
            "inference_seconds", "Model time per batch.", buckets=LATENCY_BUCKETS, namespace=ns, registry=registry
        )
        self.batch_seconds = Histogram(
            "batch_seconds",
            "Time from poll to committed batch (parse, clean, classify, produce, commit).",
            buckets=LATENCY_BUCKETS,
            namespace=ns,
            registry=registry,
        )
        self.end_to_end_seconds = Histogram(
            "end_to_end_seconds",
            "From the input record's Kafka timestamp to the commit of its routed event.",
            buckets=LATENCY_BUCKETS,
            namespace=ns,
            registry=registry,
        )
        self.confidence = Histogram(
            "prediction_confidence",
            "Top-label confidence of routed events.",
            buckets=CONFIDENCE_BUCKETS,
            namespace=ns,
            registry=registry,
        )
        self.model_info = Gauge(
            "model_info", "The model version in service (value 1).", ["version"], namespace=ns, registry=registry
        )
        self.model_reloads = Counter(
            "model_reloads", "Attempts to load a new model version.", ["outcome"], namespace=ns, registry=registry
        )
        self.consumer_lag = Gauge(
            "consumer_lag_messages",
            "Records behind the high watermark.",
            ["topic", "partition"],
            namespace=ns,
            registry=registry,
        )
        self.commits = Counter(
            "batch_commits",
            "Batch commit outcomes (committed, aborted).",
            ["outcome"],
            namespace=ns,
            registry=registry,
        )
        self.ready = Gauge(
            "ready", "1 when the model is loaded and partitions are assigned.", namespace=ns, registry=registry
        )
        self.fetch_stalled = Gauge(
            "fetch_stalled",
            "1 while records wait on assigned partitions but none has been consumed for stall_after_s.",
            namespace=ns,
            registry=registry,
        )
        self.allocator = Gauge(
            "allocator_info",
            "The memory allocator of the process (value 1).",
            ["allocator"],
            namespace=ns,
            registry=registry,
        )
        self.broker_reconnects = Counter(
            "broker_reconnects",
            "Times the Kafka clients were rebuilt after a broker error.",
            namespace=ns,
            registry=registry,
        )

        # Known outcomes exist from the start at 0, so an alert's increase() sees the first refusal.
        for outcome in ("loaded", "refused"):
            self.model_reloads.labels(outcome=outcome)

    def set_model(self, version: str) -> None:
        """Mark ``version`` as the only model in service."""
        self.model_info.clear()
        self.model_info.labels(version=version).set(1)
