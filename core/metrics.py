"""Prometheus metrics of one process: namespace and injected registry given once, then each metric in one call."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class MetricFactory:
    """Counters, gauges and histograms named ``<namespace>_<name>`` on one registry (a fresh one per test)."""

    def __init__(self, namespace: str, registry: CollectorRegistry) -> None:
        self.namespace = namespace
        self.registry = registry

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """A counter; Prometheus exports it as ``<namespace>_<name>_total``."""
        return Counter(name, documentation, labels, namespace=self.namespace, registry=self.registry)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        """A gauge."""
        return Gauge(name, documentation, labels, namespace=self.namespace, registry=self.registry)

    def histogram(
        self, name: str, documentation: str, buckets: Sequence[float], labels: Sequence[str] = ()
    ) -> Histogram:
        """A histogram with the given bucket upper bounds (``+Inf`` is added)."""
        return Histogram(name, documentation, labels, namespace=self.namespace, registry=self.registry, buckets=buckets)
