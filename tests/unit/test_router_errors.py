"""The router's error policy with fake clients: what dead-letters, what reconnects, what stops it (and says so)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError
from prometheus_client import CollectorRegistry

from classifier.prediction import Prediction
from core.errors import ClassifierError
from service.metrics import RouterMetrics
from service.router import Router
from service.routing import InRecord, OutRecord
from service.settings import RouterSettings
from tests.unit.fakes import KeywordClassifier


def _event(event_id: str, text: str) -> bytes:
    body = {"kind": "complaint", "event_id": event_id, "text": text, "created_at": "2026-01-01T00:00:00Z"}
    return json.dumps(body).encode()


BATCH = [
    InRecord("in", 0, 7, b"a", _event("a", "my card was stolen"), 0),
    InRecord("in", 0, 8, b"b", _event("b", "my loan statement"), 0),
    InRecord("in", 1, 3, b"c", _event("c", "my mortgage rate"), 0),
]


class Failing(KeywordClassifier):
    """Raises on the texts containing ``word`` (on every text when ``word`` is empty)."""

    def __init__(self, word: str) -> None:
        super().__init__()
        self.word = word

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if any(self.word in text for text in texts):
            raise FloatingPointError("NaN in the logits")
        return super().predict(texts)


class Watcher:
    def __init__(self, classifier: KeywordClassifier) -> None:
        self.current = classifier

    def swap_if_ready(self) -> None:
        return None


class Clients:
    """Hands out BATCH once per connection, then nothing; deliveries fail with ``error`` when set."""

    exactly_once = True

    def __init__(self, error: BaseException | None, stop: Callable[[], None]) -> None:
        self.error = error
        self.stop = stop
        self.polls = [list(BATCH)]
        self.delivered: list[OutRecord] = []
        self.closed = 0

    def open(self) -> None:
        return None

    def close(self) -> None:
        self.closed += 1

    def assigned(self) -> bool:
        return True

    def poll(self) -> list[InRecord]:
        if not self.polls:
            self.stop()  # everything handed out: the test is over
        return self.polls.pop(0) if self.polls else []

    def deliver(self, records: Sequence[InRecord], outgoing: Sequence[OutRecord]) -> bool:
        if self.error is not None:
            raise self.error
        self.delivered.extend(outgoing)
        return True

    def lag(self) -> dict[TopicPartition, int]:
        return {}


def _router(
    classifier: KeywordClassifier, errors: list[BaseException | None]
) -> tuple[Router, list[Clients], CollectorRegistry]:
    registry = CollectorRegistry()
    clients: list[Clients] = []
    router: Router

    def factory(settings: RouterSettings) -> Clients:
        clients.append(Clients(errors.pop(0) if errors else None, router.stop))
        return clients[-1]

    settings = RouterSettings(reconnect_backoff_max_s=0.01)
    router = Router(settings, Watcher(classifier), RouterMetrics(registry), factory)  # type: ignore[arg-type]
    return router, clients, registry


def test_a_text_the_model_fails_on_is_dead_lettered_and_routing_goes_on() -> None:
    router, clients, registry = _router(Failing("loan"), [])
    router.run()
    (only,) = clients
    topics = [o.topic for o in only.delivered]
    assert topics == ["routed.cards", "tickets.dlq", "routed.mortgages"], "in input order, one output each"
    assert json.loads(only.delivered[1].value)["reason"] == "internal_error"
    assert registry.get_sample_value("ticket_router_events_dead_lettered_total", {"reason": "internal_error"}) == 1
    assert only.closed == 1


def test_a_model_that_fails_on_every_text_stops_the_router_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    router, clients, registry = _router(Failing(""), [])
    with pytest.raises(ClassifierError, match="failed on all 3 texts"):
        router.run()
    (only,) = clients
    assert only.delivered == [] and only.closed == 1, "nothing delivered, nothing committed, clients closed"
    assert "router stopping: the model failed on all 3 texts" in caplog.text
    assert "batch in[0]@7..8, in[1]@3..3 not committed" in caplog.text
    assert registry.get_sample_value("ticket_router_broker_reconnects_total") == 0


def test_a_broker_error_rebuilds_the_clients_and_the_batch_is_read_again() -> None:
    router, clients, registry = _router(KeywordClassifier(), [KafkaTimeoutError("no metadata"), None])
    router.run()
    assert [c.closed for c in clients] == [1, 1]
    assert len(clients[0].delivered) == 0 and len(clients[1].delivered) == 3
    assert registry.get_sample_value("ticket_router_broker_reconnects_total") == 1


def test_a_bug_stops_the_router_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    router, clients, _ = _router(KeywordClassifier(), [AttributeError("'NoneType' object has no attribute 'send'")])
    with pytest.raises(AttributeError):
        router.run()
    (record,) = [r for r in caplog.records if r.name == "service.router" and r.levelno == logging.ERROR]
    assert "router stopping on an unexpected error (batch in[0]@7..8, in[1]@3..3 not committed)" in record.message
    assert record.exc_info is not None, "logged with its traceback"
    assert clients[0].closed == 1
