"""The feedback consumer against the real broker: store, commit after the write, resolve references."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from kafka import KafkaProducer
from prometheus_client import CollectorRegistry

from schemas.common import utc_now
from schemas.events import ComplaintEvent
from schemas.outputs import RoutedEvent
from streaming.kafka_config import KafkaSettings
from streaming.topics import ensure_topics
from tests.integration.router_process import produce, wait_for
from training.feedback.consumer import FeedbackConsumer
from training.feedback.store import Correction, FeedbackStore
from training.metrics import TrainerMetrics


def _feedback(ticket: str, **extra: object) -> bytes:
    body = {"ticket_id": ticket, "correct_department": "loans", "agent": "a1", "created_at": "2026-11-24T12:00:00Z"}
    return json.dumps({**body, **extra}).encode()


def _routed(ticket: str, text: str) -> bytes:
    event = ComplaintEvent(kind="complaint", event_id=ticket, text=text, created_at=utc_now())
    return (
        RoutedEvent(
            event=event,
            department="cards",
            reason="confident",
            label="cards",
            confidence=0.9,
            model_version="v1",
            routed_at=utc_now(),
        )
        .model_dump_json()
        .encode()
    )


def test_corrections_are_stored_committed_and_references_resolved(
    kafka_settings: KafkaSettings, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    feedback_topic, routed_topic, group = unique_name("fb"), unique_name("routed"), unique_name("g")
    ensure_topics(kafka_settings, [feedback_topic, routed_topic], partitions=2)
    producer = KafkaProducer(**kafka_settings.client_kwargs(), acks="all")
    meta = producer.send(routed_topic, key=b"r1", value=_routed("r1", "my payday loan was never refunded")).get(10)
    producer.close()
    ref = {"topic": routed_topic, "partition": meta.partition, "offset": meta.offset}
    produce(
        kafka_settings,
        [
            (feedback_topic, b"t1", _feedback("t1", text="car loan payment lost")),
            (feedback_topic, b"bad", b"not json"),
            (feedback_topic, b"r1", _feedback("r1", routed_event=ref)),
            (feedback_topic, b"gone", _feedback("gone", routed_event={**ref, "offset": 10_000})),
        ],
    )

    metrics = TrainerMetrics(CollectorRegistry())
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        consumer = FeedbackConsumer(kafka_settings, feedback_topic, group, store, metrics, fetch_timeout_s=5)
        consumer.start()
        wait_for(lambda: len(store.corrections()) == 2, 30, "both corrections with text")
        wait_for(consumer.ready, 5, "the consumer to be ready")
        consumer.stop()
        assert store.corrections() == [
            Correction("r1", "my payday loan was never refunded", "loans"),
            Correction("t1", "car loan payment lost", "loans"),
        ]
        assert store.count() == 3, "the reference past the end of the log is stored, its text unresolved"
        sample = metrics.registry.get_sample_value
        assert sample("ticket_trainer_corrections_received_total", {"outcome": "invalid"}) == 1
        assert sample("ticket_trainer_corrections_received_total", {"outcome": "new"}) == 3

        # Offsets were committed after the store write: the same group does not read them again.
        produce(kafka_settings, [(feedback_topic, b"t2", _feedback("t2", text="student loan"))])
        again = FeedbackConsumer(kafka_settings, feedback_topic, group, store, metrics)
        again.start()
        wait_for(lambda: len(store.corrections()) == 3, 30, "the new correction")
        again.stop()
        assert sample("ticket_trainer_corrections_received_total", {"outcome": "stale"}) is None
        assert sample("ticket_trainer_corrections_received_total", {"outcome": "invalid"}) == 1
