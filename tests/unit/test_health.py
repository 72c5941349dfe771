"""The HTTP endpoints answer from the injected registry and probes; the port is bound by start(), not before."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from core.errors import ConfigError
from service.health import HealthServer
from service.metrics import RouterMetrics
from streaming.embedded_broker import free_port

PLAIN = "text/plain; charset=utf-8"


def _get(port: int, path: str) -> tuple[int, str]:
    return _answer(port, path)[:2]


def _answer(port: int, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:  # noqa: S310
            return resp.status, resp.read().decode(), resp.headers["Content-Type"]
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers["Content-Type"]


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


def test_bodies_and_media_types_are_the_routers() -> None:
    state = {"alive": True, "ready": False}
    server = HealthServer("127.0.0.1", 0, CollectorRegistry(), lambda: state["alive"], lambda: state["ready"])
    server.start()
    try:
        assert _answer(server.port, "/healthz") == (200, "ok\n", PLAIN)
        assert _answer(server.port, "/readyz") == (503, "not ready\n", PLAIN)
        assert _answer(server.port, "/readyz?verbose=1") == (503, "not ready\n", PLAIN), "a query is ignored"
        state.update(alive=False, ready=True)
        assert _answer(server.port, "/healthz") == (503, "stalled\n", PLAIN)
        assert _answer(server.port, "/readyz") == (200, "ok\n", PLAIN)
        assert _answer(server.port, "/metrics")[::2] == (200, CONTENT_TYPE_LATEST)
        for path in ("/nope", "/docs", "/openapi.json"):
            assert _answer(server.port, path) == (404, "not found\n", PLAIN), path
    finally:
        server.stop()


def test_the_port_is_bound_by_start_and_a_busy_one_is_a_clear_error() -> None:
    port = free_port()
    server = HealthServer("127.0.0.1", port, CollectorRegistry(), alive=lambda: True, ready=lambda: True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # free: building the server bound nothing
    server.start()
    try:
        assert server.port == port and _get(port, "/healthz")[0] == 200
        other = HealthServer("127.0.0.1", port, CollectorRegistry(), alive=lambda: True, ready=lambda: True)
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            other.start()
        other.stop()
    finally:
        server.stop()
    with pytest.raises(urllib.error.URLError):
        _get(port, "/healthz")  # stopped: nothing listens any more
