"""A real Prometheus server scrapes the router's own metrics endpoint (the helper its integration test uses)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from service.health import HealthServer
from service.metrics import RouterMetrics
from tests.deploy.prometheus_server import RunningPrometheus, free_port, run_prometheus

Factory = Callable[[Mapping[str, Sequence[str]]], RunningPrometheus]


@pytest.fixture
def router_metrics_endpoint() -> Iterator[tuple[str, RouterMetrics]]:
    """The router's metrics on a free loopback port, served by the router's own HTTP endpoints."""
    metrics = RouterMetrics(CollectorRegistry())
    server = HealthServer("127.0.0.1", 0, metrics.registry, alive=lambda: True, ready=lambda: True)
    server.start()
    try:
        yield f"127.0.0.1:{server.port}", metrics
    finally:
        server.stop()


def test_prometheus_scrapes_the_router_metrics(
    prometheus_factory: Factory, router_metrics_endpoint: tuple[str, RouterMetrics]
) -> None:
    target, metrics = router_metrics_endpoint
    metrics.ready.set(1)
    metrics.routed.labels(department="cards", reason="confident").inc(3)
    prometheus = prometheus_factory({"router": [target]})
    (up,) = prometheus.wait_until_up("router")
    assert up["scrapeUrl"] == f"http://{target}/metrics"
    ready = prometheus.query('ticket_router_ready{job="router"}')
    assert [sample["value"][1] for sample in ready] == ["1"]
    routed = prometheus.query("ticket_router_events_routed_total")
    assert [(s["metric"]["department"], s["value"][1]) for s in routed] == [("cards", "3")]


def test_a_target_that_does_not_answer_is_reported(prometheus_factory: Factory) -> None:
    silent = f"127.0.0.1:{free_port()}"
    prometheus = prometheus_factory({"router": [silent]})
    with pytest.raises(TimeoutError, match="fewer than 1 targets up"):
        prometheus.wait_until_up("router", timeout=3)


def test_run_prometheus_explains_a_missing_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.deploy.prometheus_server.prometheus_binary", lambda: None)
    with pytest.raises(FileNotFoundError, match="apt-get install"), run_prometheus({}, tmp_path):
        pass
