"""A consumer whose fetches stop while records wait is noticed: logged, not ready, fetch_stalled 1."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence

import pytest
from kafka import TopicPartition
from prometheus_client import CollectorRegistry

from service import router as router_module
from service.metrics import RouterMetrics
from service.router import Router
from service.routing import InRecord, OutRecord
from service.settings import RouterSettings
from streaming.stall import StallDetector
from tests.unit.fakes import KeywordClassifier


def test_detector_needs_lag_and_no_progress_for_the_whole_period() -> None:
    detector = StallDetector(after_s=10)
    assert not detector.check(0, lag=5), "the first look starts the clock"
    assert not detector.check(9.9, lag=5)
    assert detector.check(10, lag=5)
    detector.progressed(11)
    assert not detector.check(20, lag=5)
    assert detector.check(21, lag=5)
    assert not detector.check(22, lag=0), "nothing waits: idle, not stalled"
    assert not detector.check(31, lag=3), "the clock restarts when lag reappears"
    assert detector.check(32, lag=3)


class Watcher:
    current = KeywordClassifier()

    def swap_if_ready(self) -> None:
        return None


class FrozenBroker:
    """Clients of a broker that reports records waiting but stops answering fetches (until thawed)."""

    exactly_once = True

    def __init__(self, settings: RouterSettings) -> None:
        self.thawed = threading.Event()
        self.delivered: list[OutRecord] = []

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None

    def assigned(self) -> bool:
        return True

    def poll(self) -> list[InRecord]:
        if not self.thawed.is_set():
            self.thawed.wait(0.01)
            return []
        value = json.dumps(
            {"kind": "complaint", "event_id": "e1", "text": "card", "created_at": "2026-01-01T00:00:00Z"}
        )
        return [InRecord("in", 0, 1, b"e1", value.encode(), 0)]

    def deliver(self, records: Sequence[InRecord], outgoing: Sequence[OutRecord]) -> bool:
        self.delivered.extend(outgoing)
        return True

    def lag(self) -> dict[TopicPartition, int]:
        return {} if self.delivered else {TopicPartition("in", 0): 40, TopicPartition("in", 1): 0}


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_a_broker_that_stops_answering_fetches_is_reported(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(router_module, "LAG_INTERVAL_S", 0.01)
    caplog.set_level(logging.INFO, logger="service.router")
    registry = CollectorRegistry()
    clients: list[FrozenBroker] = []

    def factory(settings: RouterSettings) -> FrozenBroker:
        clients.append(FrozenBroker(settings))
        return clients[-1]

    def stalled() -> float | None:
        return registry.get_sample_value("ticket_router_fetch_stalled")

    router = Router(RouterSettings(stall_after_s=0.2), Watcher(), RouterMetrics(registry), factory)  # type: ignore[arg-type]
    thread = threading.Thread(target=router.run)
    thread.start()
    try:
        _wait_for(lambda: stalled() == 1, "the stall to be noticed")
        assert not router.ready()
        assert "fetches stopped progressing: 40 records wait on 1 partitions" in caplog.text
        clients[0].thawed.set()
        # The flag clears a moment before the line is logged on the router's thread: wait for both.
        _wait_for(lambda: "fetches progress again" in caplog.text, "the recovery to be logged")
        _wait_for(lambda: stalled() == 0 and router.ready(), "the router to be ready again")
        assert clients[0].delivered
    finally:
        router.stop()
        thread.join(10)
    assert not thread.is_alive()
