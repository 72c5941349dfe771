"""Publishing a decision: the routed event and the correction in one Kafka transaction."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaError

from console.settings import ConsoleSettings

logger = logging.getLogger(__name__)


class Outgoing(NamedTuple):
    """One record to produce."""

    topic: str
    key: bytes
    value: bytes


class Sink(Protocol):
    """Where decisions go: :class:`Publisher` on Kafka, or a recording fake in tests."""

    def publish(self, records: Sequence[Outgoing]) -> None:
        """Send ``records`` atomically or raise ``KafkaError``."""
        ...


class Publisher:
    """A transactional producer shared by the API's threads; one transaction at a time."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._producer: KafkaProducer | None = None

    def _open(self) -> KafkaProducer:
        if self._producer is None:
            producer = KafkaProducer(
                **self._settings.client_kwargs(),
                acks="all",
                transactional_id=self._settings.transactional_id_for(),
                max_block_ms=10_000,
                request_timeout_ms=10_000,
                delivery_timeout_ms=30_000,
                reconnect_backoff_max_ms=2_000,
            )
            producer.init_transactions()
            self._producer = producer
        return self._producer

    def publish(self, records: Sequence[Outgoing]) -> None:
        """Send ``records`` atomically; raises ``KafkaError`` when the transaction did not commit."""
        with self._lock:
            try:
                producer = self._open()
                producer.begin_transaction()
                for record in records:
                    producer.send(record.topic, key=record.key, value=record.value)
                producer.commit_transaction()
            except KafkaError:
                # A producer in an unknown transaction state is not reused: the next publish starts afresh.
                self._discard()
                raise

    def _discard(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=5)
            except KafkaError as exc:
                logger.warning("closing the producer: %s", type(exc).__name__)

    def close(self) -> None:
        """Close the producer (idempotent)."""
        with self._lock:
            self._discard()
