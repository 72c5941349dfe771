"""Triage events and a console wired to a database and a recording publisher, shared by the console's tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka.errors import KafkaTimeoutError
from prometheus_client import CollectorRegistry

from console.db import make_engine, upgrade
from console.desk import Desk
from console.metrics import ConsoleMetrics
from console.publisher import Outgoing
from console.settings import ConsoleSettings
from console.store import WorkStore
from schemas.outputs import RoutedEvent

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def triage_event(
    event_id: str,
    text: str = "my card was charged twice for one purchase",
    *,
    priority: str = "normal",
    created_at: datetime = T0,
    reason: str = "low_confidence",
    explanation: Sequence[str] = ("charged", "card"),
    alternatives: Sequence[tuple[str, str, float]] = (
        ("banking77:card_payment_wrong_exchange_rate", "cards", 0.41),
        ("banking77:transfer_not_received", "payments", 0.33),
        ("cfpb:checking_account", "accounts", 0.12),
        ("banking77:card_arrival", "cards", 0.08),
    ),
) -> RoutedEvent:
    """A routed event on the triage topic, as the router writes it: the first answer is the model's own."""
    label, department, confidence = alternatives[0]
    return RoutedEvent.model_validate(
        {
            "event": {"kind": "complaint", "event_id": event_id, "text": text, "created_at": created_at},
            "department": "triage",
            "reason": reason,
            "label": label,
            "confidence": confidence,
            "alternatives": [{"label": a, "department": d, "confidence": c} for a, d, c in alternatives[1:]],
            "suggested": {"label": label, "department": department, "confidence": confidence},
            "model_version": "test-1",
            "routed_at": created_at + timedelta(seconds=1),
            "priority": priority,
            "explanation": list(explanation),
        }
    )


@dataclass
class RecordingPublisher:
    """Stands in for the Kafka producer: keeps each transaction, or fails while ``down`` is set."""

    transactions: list[list[Outgoing]] = field(default_factory=list)
    down: bool = False

    def publish(self, records: Sequence[Outgoing]) -> None:
        if self.down:
            raise KafkaTimeoutError("broker away")
        self.transactions.append(list(records))

    def close(self) -> None:
        pass


class Clock:
    """A settable clock for claims and ages."""

    def __init__(self, now: datetime = T0 + timedelta(hours=1)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_desk(database_url: str, **settings: Any) -> tuple[Desk, RecordingPublisher, Clock]:
    """A desk over a freshly migrated database, a recording publisher and a settable clock."""
    engine = make_engine(database_url)
    upgrade(engine)
    publisher = RecordingPublisher()
    clock = Clock()
    desk = Desk(
        ConsoleSettings(database_url=database_url, **settings),
        WorkStore(engine),
        publisher,
        ConsoleMetrics(CollectorRegistry()),
        clock,
    )
    return desk, publisher, clock
