"""The HTTP endpoints answer from the injected registry and probes."""

from __future__ import annotations

import urllib.error
import urllib.request

from prometheus_client import CollectorRegistry

from service.health import HealthServer
from service.metrics import RouterMetrics


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:  # noqa: S310
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_metrics_and_probes() -> None:
    registry = CollectorRegistry()
    metrics = RouterMetrics(registry)
    metrics.routed.labels(department="cards", reason="confident").inc(3)
    state = {"ready": False}
    server = HealthServer("127.0.0.1", 0, registry, alive=lambda: True, ready=lambda: state["ready"])
    server.start()
    try:
        status, body = _get(server.port, "/metrics")
        assert status == 200
        assert 'ticket_router_events_routed_total{department="cards",reason="confident"} 3.0' in body
        assert _get(server.port, "/healthz")[0] == 200
        assert _get(server.port, "/readyz")[0] == 503
        state["ready"] = True
        assert _get(server.port, "/readyz")[0] == 200
        assert _get(server.port, "/nope")[0] == 404
    finally:
        server.stop()
        server.stop()
