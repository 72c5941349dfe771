"""Trace context through the embedded broker: input record -> batch span (linked) -> routed or dead-letter record."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

from service.metrics import RouterMetrics
from service.model_watch import ModelWatcher
from service.router import Router
from service.settings import RouterSettings
from service.tracing import RouterTracing
from streaming.kafka_config import KafkaSettings
from tests.integration.router_process import OutputReader, RouterProcess, complaint, make_topics
from tests.unit.fakes import KeywordClassifier


def traceparent(i: int) -> bytes:
    return f"00-{i + 1:032x}-{i + 1:016x}-01".encode()


def send(kafka: KafkaSettings, items: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]) -> None:
    producer: Any = KafkaProducer(**kafka.client_kwargs(), acks="all")
    for topic, key, value, headers in items:
        producer.send(topic, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()


def test_traces_link_inputs_and_outputs_through_the_broker(
    kafka_settings: KafkaSettings, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    topics = make_topics(kafka_settings, unique_name)
    settings = RouterSettings(
        bootstrap_servers=kafka_settings.bootstrap_servers,
        group_id=unique_name("g"),
        input_topics=[topics.complaints, topics.social],
        routed_topic_prefix=topics.prefix,
        dlq_topic=topics.dlq,
        tracing=True,
    )
    metrics = RouterMetrics(CollectorRegistry())
    watcher = ModelWatcher(lambda: tmp_path, lambda _path: KeywordClassifier(), metrics, 60)
    watcher.load_initial()
    exporter = InMemorySpanExporter()
    tracing = RouterTracing(settings)
    tracing.start(exporter)
    router = Router(settings, watcher, metrics, tracing.clients)
    thread = threading.Thread(target=router.run, daemon=True)
    thread.start()
    traced = [
        (topics.social if i % 2 else topics.complaints, f"t{i}".encode(), complaint(f"t{i}", "my card"), [])
        for i in range(20)
    ]
    traced = [(topic, key, value, [("traceparent", traceparent(i))]) for i, (topic, key, value, _) in enumerate(traced)]
    bad = (topics.complaints, b"bad", b"{not json", [("traceparent", traceparent(99))])
    plain = (topics.complaints, b"plain", complaint("plain", "my card"), [])
    send(kafka_settings, [*traced, bad, plain])
    reader = OutputReader(kafka_settings, topics)
    try:
        records = reader.read_until(len(traced) + 2)
    finally:
        reader.close()
        router.stop()
        thread.join(30)
        tracing.stop()
    assert not thread.is_alive(), "the router stops when asked"
    assert len(records) == len(traced) + 2
    headers = {(r.key or b"").decode(): dict(r.headers) for r in records}
    for _, key, _, sent in traced:
        assert headers[key.decode()]["traceparent"] == dict(sent)["traceparent"], key
    assert headers["bad"]["traceparent"] == traceparent(99) and headers["bad"]["dlq-reason"] == b"invalid_json"

    spans = exporter.get_finished_spans()
    assert spans and all(s.name == "process ticket batch" for s in spans)
    linked = {f"{link.context.trace_id:032x}" for s in spans for link in s.links}
    assert linked == {f"{i + 1:032x}" for i in [*range(20), 99]}, "every traced input is linked, nothing else"
    own = {f"{s.context.trace_id:032x}-{s.context.span_id:016x}" for s in spans}
    assert headers["plain"]["traceparent"].decode()[3:52] in own, "an untraced input continues in its batch span"
    assert sum(s.attributes["messaging.batch.message_count"] for s in spans if s.attributes) >= len(traced) + 2


@pytest.mark.slow
def test_the_router_process_exports_batch_spans_when_tracing_is_on(
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: Callable[..., RouterProcess],
    tiny_bundle: Path,
) -> None:
    """The real ``ticket-router serve`` with TICKET_ROUTER_TRACING and the console exporter of the SDK."""
    topics = make_topics(kafka_settings, unique_name)
    router = start_router(
        {
            **topics.env(),
            "TICKET_ROUTER_GROUP_ID": unique_name("g"),
            "TICKET_ROUTER_MODEL_PATH": str(tiny_bundle),
            "TICKET_ROUTER_TRACING": "true",
            "OTEL_TRACES_EXPORTER": "console",
            "OTEL_SERVICE_NAME": "router-under-test",
        }
    )
    router.wait_ready()
    send(kafka_settings, [(topics.complaints, b"e1", complaint("e1", "my card"), [("traceparent", traceparent(7))])])
    reader = OutputReader(kafka_settings, topics)
    try:
        (record,) = reader.read_until(1)
    finally:
        reader.close()
    assert dict(record.headers)["traceparent"] == traceparent(7)
    assert router.terminate() == 0, "the exporter is flushed on the way out"
    log = router.log()
    start = log.index('{\n    "name": "process ticket batch"')
    span = json.loads(log[start : log.index("\n}", start) + 2])
    assert span["resource"]["attributes"]["service.name"] == "router-under-test"
    assert [link["context"]["trace_id"] for link in span["links"]] == [f"0x{8:032x}"]
