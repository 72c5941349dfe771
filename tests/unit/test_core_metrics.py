"""One factory declares every service's metrics: namespaced, on the injected registry only."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry

from core.metrics import MetricFactory


def test_metrics_are_namespaced_on_the_injected_registry() -> None:
    registry = CollectorRegistry()
    metric = MetricFactory("ticket_test", registry)
    metric.counter("jobs", "Jobs run.", ["outcome"]).labels(outcome="ok").inc(2)
    metric.gauge("depth", "Queue depth.").set(3)
    metric.histogram("wait_seconds", "Wait.", (0.1, 1.0)).observe(0.5)
    sample = registry.get_sample_value
    assert sample("ticket_test_jobs_total", {"outcome": "ok"}) == 2
    assert sample("ticket_test_depth") == 3
    assert sample("ticket_test_wait_seconds_bucket", {"le": "0.1"}) == 0
    assert sample("ticket_test_wait_seconds_bucket", {"le": "1.0"}) == 1
    assert sample("ticket_test_wait_seconds_bucket", {"le": "+Inf"}) == 1
    assert REGISTRY.get_sample_value("ticket_test_depth") is None, "never the process-wide default registry"
    docs = {family.name: family.documentation for family in registry.collect()}
    assert docs == {
        "ticket_test_jobs": "Jobs run.",
        "ticket_test_depth": "Queue depth.",
        "ticket_test_wait_seconds": "Wait.",
    }
