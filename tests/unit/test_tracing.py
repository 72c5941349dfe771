"""Tracing of micro-batches with the SDK's in-memory exporter: links to inputs, trace headers on outputs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from core.errors import ConfigError
from service.pipeline import BatchPolicy, process_batch
from service.settings import RouterSettings
from service.tracing import RouterTracing, TracedClients, configured_exporter, context_of
from tests.unit.fakes import KeywordClassifier

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
POLICY = BatchPolicy(topic_prefix="routed.", dlq_topic="tickets.dlq", max_message_bytes=10_000)
EVENT = b'{"kind": "complaint", "event_id": "e%d", "text": "my card", "created_at": "2026-11-24T00:00:00Z"}'


class Consumed(NamedTuple):
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int
    headers: list[tuple[str, bytes]]


class FakeConsumer:
    def __init__(self) -> None:
        self.batches: list[list[Consumed]] = []
        self.committed: list[Any] = []

    def poll(self, timeout_ms: int, max_records: int) -> dict[str, list[Consumed]]:
        return {"tp": self.batches.pop(0)} if self.batches else {}

    def commit(self, offsets: Any) -> None:
        self.committed.append(offsets)


class Sent:
    def get(self, timeout: float) -> None:
        return None


class FakeProducer:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, bytes | None, list[tuple[str, bytes]]]] = []
        self.fail = fail

    def send(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> Sent:
        if self.fail:
            raise RuntimeError("broker gone")
        self.sent.append((topic, key, headers))
        return Sent()

    def flush(self) -> None:
        return None


class Harness:
    def __init__(self, batch_size: int = 100) -> None:
        self.settings = RouterSettings(delivery="at_least_once", batch_size=batch_size, tracing=True)
        self.exporter = InMemorySpanExporter()
        self.tracing = RouterTracing(self.settings)
        self.tracing.start(self.exporter)
        clients = self.tracing.clients(self.settings)
        assert isinstance(clients, TracedClients)
        self.clients = clients
        self.consumer, self.producer = FakeConsumer(), FakeProducer()
        clients.consumer, clients.producer = self.consumer, self.producer

    def route(self, batch: list[Consumed]) -> bool:
        self.consumer.batches.append(batch)
        records = self.clients.poll()
        result = process_batch(records, KeywordClassifier(), POLICY, datetime(2026, 11, 24, tzinfo=UTC))
        return self.clients.deliver(records, result.outgoing)

    def spans(self) -> list[ReadableSpan]:
        self.tracing.stop()
        return list(self.exporter.get_finished_spans())


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.tracing.stop()


def record(offset: int, headers: list[tuple[str, bytes]], value: bytes | None = None) -> Consumed:
    return Consumed("tickets.complaints", 0, offset, b"k", value or EVENT % offset, 0, headers)


def traceparent(i: int) -> bytes:
    return f"00-{i + 1:032x}-{i + 1:016x}-01".encode()


def test_one_span_per_batch_linked_to_every_traced_input(harness: Harness) -> None:
    batch = [
        record(0, [("traceparent", traceparent(0)), ("tracestate", b"vendor=1")]),
        record(1, []),
        record(2, [("traceparent", traceparent(2))], value=b"{not json"),
        record(3, [("traceparent", b"00-garbage")]),
    ]
    assert harness.route(batch)
    (span,) = harness.spans()
    assert span.name == "process ticket batch" and span.attributes is not None
    assert span.attributes["messaging.batch.message_count"] == 4
    assert span.attributes["ticket_router.batch.committed"] is True
    linked = [(f"{link.context.trace_id:032x}", link.attributes) for link in span.links]
    assert [trace for trace, _ in linked] == [f"{1:032x}", f"{3:032x}"], "valid contexts only"
    assert linked[1][1] == {"messaging.destination.name": "tickets.complaints", "messaging.kafka.offset": 2}

    sent = {topic: dict(headers) for topic, _, headers in harness.producer.sent[:1]}
    assert harness.producer.sent[0][0] == "routed.cards"
    assert sent["routed.cards"]["traceparent"] == traceparent(0) and sent["routed.cards"]["tracestate"] == b"vendor=1"
    untraced = dict(harness.producer.sent[1][2])
    own = f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-".encode()  # then the flags
    assert untraced["traceparent"].startswith(own), "an input without context continues in the batch span"
    dead = harness.producer.sent[2]
    assert dead[0] == "tickets.dlq" and dict(dead[2])["traceparent"] == traceparent(2), "dead letters too"
    assert dict(harness.producer.sent[3][2])["traceparent"].startswith(own), "an invalid context is replaced"


def test_every_input_of_a_large_batch_is_linked() -> None:
    h = Harness(batch_size=1024)
    assert h.route([record(i, [("traceparent", traceparent(i))]) for i in range(300)])
    (span,) = h.spans()
    assert len(span.links) == 300, "above the SDK's default of 128 links"


def test_a_failed_delivery_ends_the_span_with_the_error(harness: Harness) -> None:
    harness.clients.producer = FakeProducer(fail=True)
    with pytest.raises(RuntimeError):
        harness.route([record(0, [])])
    (span,) = harness.spans()
    assert span.status.status_code is StatusCode.ERROR and span.events[0].name == "exception"


def test_a_batch_that_never_reached_delivery_is_still_ended(harness: Harness) -> None:
    harness.consumer.batches.append([record(0, [])])
    harness.clients.poll()  # the loop raised before delivering this one
    assert harness.route([record(1, [])])
    spans = harness.spans()
    assert len(spans) == 2 and "ticket_router.batch.committed" not in (spans[0].attributes or {})


def test_empty_polls_make_no_span(harness: Harness) -> None:
    assert harness.clients.poll() == []
    assert harness.spans() == []


def test_context_of() -> None:
    ctx = context_of([("traceparent", PARENT.encode())])
    assert ctx is not None and f"{ctx.trace_id:032x}" == TRACE_ID and ctx.is_remote
    assert context_of([]) is None
    assert context_of([("traceparent", b"00-" + b"0" * 32 + b"-00f067aa0ba902b7-01")]) is None, "all-zero trace id"


@given(st.lists(st.tuples(st.sampled_from(["traceparent", "tracestate", "TraceParent", "x"]), st.binary(max_size=80))))
def test_any_header_bytes_give_a_context_or_none(headers: list[tuple[str, bytes]]) -> None:
    ctx = context_of(headers)
    assert ctx is None or ctx.is_valid


def test_exporter_from_the_standard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.example:4318")
    assert isinstance(configured_exporter(), OTLPSpanExporter)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    assert isinstance(configured_exporter(), ConsoleSpanExporter)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert configured_exporter() is None
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ConfigError, match="zipkin"):
        configured_exporter()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    with pytest.raises(ConfigError, match="http/protobuf"):
        configured_exporter()


def test_service_name_defaults_but_the_standard_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, expected in ((None, "ticket-router"), ("router-eu-1", "router-eu-1")):
        if name is None:
            monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        else:
            monkeypatch.setenv("OTEL_SERVICE_NAME", name)
        h = Harness()
        assert h.route([record(0, [])])
        (span,) = h.spans()
        assert span.resource.attributes["service.name"] == expected
