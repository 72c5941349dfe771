"""Poison records between valid ones, sent by an independent client: every valid event is routed or stored,
every poison record is dead-lettered or refused, and no consumer stops or stalls."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer

from schemas.outputs import DeadLetter
from streaming.kafka_config import KafkaSettings
from tests.integration.router_process import (
    OutputReader,
    RouterProcess,
    complaint,
    http_get,
    make_topics,
)

pytestmark = pytest.mark.slow

LIMIT = 1_048_576


def _complaint_at(event_id: str, created_at: str) -> bytes:
    return json.dumps({"kind": "complaint", "event_id": event_id, "text": "card", "created_at": created_at}).encode()


# key, value, the dead letter's expected reason and the fields it must cut to fit the 1 MiB limit.
POISON: list[tuple[bytes, bytes, str, set[str]]] = [
    (b"p-year-high", _complaint_at("p1", "9999-12-31T23:00:00-01:00"), "schema_error", set()),
    (b"p-year-low", _complaint_at("p2", "0001-01-01T00:00:00+00:01"), "schema_error", set()),
    (b"p-binary", b"\xab" * 800_000, "not_utf8", {"raw"}),
    (b"p-escapes", b"\x01" * 200_000, "invalid_json", {"raw"}),
    (b"p-oversized", b"x" * 1_100_000, "oversized", {"raw"}),
    (b"y" * 600_000, b"x", "invalid_json", set()),
]


def _produce(kafka: KafkaSettings, items: list[tuple[str, bytes, bytes]]) -> None:
    producer: Any = KafkaProducer(**kafka.client_kwargs(), acks="all", max_request_size=4 * LIMIT)
    for topic, key, value in items:
        producer.send(topic, key=key, value=value).get(timeout=30)  # in order, one by one
    producer.close()


@pytest.mark.parametrize("delivery", ["exactly_once", "at_least_once"])
def test_poison_between_valid_events(
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: Callable[..., RouterProcess],
    tiny_bundle: Path,
    delivery: str,
) -> None:
    topics = make_topics(kafka_settings, unique_name, partitions=1)
    env = {**topics.env(), "TICKET_ROUTER_GROUP_ID": unique_name("g"), "TICKET_ROUTER_MODEL_PATH": str(tiny_bundle)}
    router = start_router({**env, "TICKET_ROUTER_DELIVERY": delivery})
    router.wait_ready()
    items = []
    for i, (key, value, _, _) in enumerate(POISON):
        items.append((topics.complaints, f"v{i}".encode(), complaint(f"v{i}", "my card was charged twice")))
        items.append((topics.complaints, key, value))
    items.append((topics.complaints, b"last", complaint("last", "the mortgage payment was not applied")))
    _produce(kafka_settings, items)

    reader = OutputReader(kafka_settings, topics)
    reader.read_until(len(items), timeout=120)
    reader.drain(2.0)
    routed = Counter(json.loads(r.value)["event"]["event_id"] for r in reader.records if r.topic != topics.dlq)
    assert routed == Counter([f"v{i}" for i in range(len(POISON))] + ["last"]), "each valid event routed once"
    letters = [(r, DeadLetter.model_validate_json(r.value)) for r in reader.records if r.topic == topics.dlq]
    assert len(letters) == len(POISON), "each poison record dead-lettered once"
    for (key, value, reason, cut), (record, letter) in zip(POISON, letters, strict=True):
        assert letter.reason == reason, (key[:20], letter.error)
        assert {t.field for t in letter.truncated} == cut, key[:20]
        assert value.startswith(letter.raw_bytes())
        assert len(record.value) + len(record.key or b"") < LIMIT
    reader.close()
    assert http_get(router.port, "/healthz")[0] == 200
    assert router.terminate() == 0


def _correction(ticket: str, **fields: object) -> bytes:
    body = {"ticket_id": ticket, "correct_department": "loans", "agent": "a1", "created_at": "2026-11-24T12:00:00Z"}
    return json.dumps({**body, **fields}).encode()


POISON_CORRECTIONS = [
    _correction("c1", routed_event={"topic": "no such topic!!", "partition": 0, "offset": 1}),
    _correction("c2", routed_event={"topic": "routed.cards", "partition": 0, "offset": 2**70}),
    _correction("c3", routed_event={"topic": "routed.cards", "partition": 2**40, "offset": 1}),
    _correction("c4", text="x", created_at="9999-12-31T23:00:00-01:00"),
    _correction("c5", text="x", created_at="0001-01-01T00:00:00+00:01"),
    b"\xab" * 1000,
]


def _loan(loan_id: str, created_at: str, amount: float | None = None) -> bytes:
    return json.dumps({"loan_id": loan_id, "created_at": created_at, "amount": amount}).encode()


POISON_LOANS = [
    _loan("L1", "9999-12-30T00:00:00Z"),
    _loan("L2", "2026-01-01T00:00:00Z", 1.7e308),
    _loan("L3", "2026-01-01T00:00:00Z", 1.7e308),
    _loan("L4", "2040-01-01T00:00:00Z"),
    _loan("L5", "9999-12-31T23:00:00-01:00"),
]


def test_the_trainer_stores_corrections_and_serves_forecasts_after_poison(
    kafka_settings: KafkaSettings, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    from prometheus_client import CollectorRegistry

    from streaming.embedded_broker import free_port
    from tests.integration.router_process import metric_value, produce, wait_for
    from tests.unit.trainer_fakes import forecast_service
    from training.assembly import TrainerService
    from training.settings import TrainerSettings

    settings = TrainerSettings(
        bootstrap_servers=kafka_settings.bootstrap_servers,
        group_id=unique_name("g"),
        feedback_topic=unique_name("fb"),
        feedback_store=tmp_path / "fb.sqlite3",
        registry=tmp_path / "registry",
        min_new_corrections=1000,
        http_host="127.0.0.1",
        http_port=free_port(),
        forecast_bundle=tmp_path / "forecast",
        forecast_publish_interval_s=3600,
        loans_topic=unique_name("loans"),
        forecast_topic=unique_name("forecast"),
    )
    forecaster = forecast_service(tmp_path)
    service = TrainerService(settings, CollectorRegistry(), forecast_loader=lambda _s: forecaster)
    service.start()
    try:
        port = settings.http_port
        wait_for(lambda: http_get(port, "/readyz")[0] == 200, 30, "the trainer to be ready")
        good = [_correction(f"ok{i}", text="payday advance never refunded") for i in range(3)]
        mixed = [v for pair in zip(POISON_CORRECTIONS, good * 2, strict=True) for v in pair]
        produce(kafka_settings, [(settings.feedback_topic, b"k", v) for v in mixed])
        wait_for(lambda: service.store.count() == 3, 30, "the valid corrections to be stored")
        day = f"{forecaster.series.end}T09:00:00Z"
        loans = [v for bad in POISON_LOANS for v in (bad, _loan(f"ok-{len(bad)}", day))]
        before = forecaster.series.values[-1]
        produce(kafka_settings, [(settings.loans_topic, b"k", v) for v in loans])
        wait_for(lambda: forecaster.series.values[-1] == before + len(POISON_LOANS), 30, "the valid loans")
        body = http_get(port, "/metrics")[1]
        assert metric_value(body, "ticket_trainer_corrections_received_total", outcome="invalid") == 6
        assert metric_value(body, "ticket_trainer_loans_received_total", outcome="invalid") == len(POISON_LOANS)
        status, text = http_get(port, "/forecast?days=3")
        assert status == 200 and len(json.loads(text)["points"]) == 3
        assert http_get(port, "/healthz")[0] == 200
    finally:
        service.stop()


def test_batches_compressed_with_every_kafka_codec_are_routed(
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: Callable[..., RouterProcess],
    tiny_bundle: Path,
) -> None:
    topics = make_topics(kafka_settings, unique_name, partitions=1)
    env = {**topics.env(), "TICKET_ROUTER_GROUP_ID": unique_name("g"), "TICKET_ROUTER_MODEL_PATH": str(tiny_bundle)}
    router = start_router(env)
    router.wait_ready()
    codecs = ["gzip", "snappy", "lz4", "zstd"]
    for codec in codecs:
        producer: Any = KafkaProducer(**kafka_settings.client_kwargs(), compression_type=codec, linger_ms=50)
        for i in range(5):
            producer.send(topics.complaints, key=b"k", value=complaint(f"{codec}-{i}", "my card was declined"))
        producer.flush()
        producer.close()
    reader = OutputReader(kafka_settings, topics)
    reader.read_until(len(codecs) * 5)
    reader.drain(1.0)
    assert sorted(reader.ids()) == sorted(f"{codec}-{i}" for codec in codecs for i in range(5))
    reader.close()
