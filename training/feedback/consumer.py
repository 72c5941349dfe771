"""The feedback loop: poll ``tickets.feedback`` in a consumer group → validate → store → commit."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence

from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from pydantic import ValidationError

from schemas.common import utc_now, validation_error_fields
from schemas.feedback import Feedback
from streaming.consume_loop import ConsumeLoop, broker_outage
from streaming.group_reader import TopicReader
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from streaming.worker import BackgroundWorker
from training.feedback.routed_fetch import fetch_routed_texts
from training.feedback.store import FeedbackStore, PendingText, StoreOutcome
from training.metrics import TrainerMetrics

logger = logging.getLogger(__name__)

Fetcher = Callable[[Sequence[PendingText]], dict[str, str]]
RETRY_PENDING_S = 30.0
PENDING = "pending"


def store_record(store: FeedbackStore, metrics: TrainerMetrics, record: ConsumerRecord) -> str:
    """Validate one Kafka record and store it; returns the outcome.

    ``invalid`` (refused by the contract), ``internal_error`` (handling it raised: refused, logged, counted),
    ``pending`` or a store outcome. Only an error of the store itself (``sqlite3.Error``) propagates: the
    batch is then read again once the store is back.
    """
    where = (record.topic, record.partition, record.offset)
    try:
        feedback = Feedback.model_validate_json(record.value or b"")
        outcome = store.add(feedback, utc_now())
    except ValidationError as exc:
        metrics.corrections.labels(outcome="invalid").inc()
        logger.warning("invalid correction at %s[%d]@%d: %s", *where, validation_error_fields(exc))
        return "invalid"
    except sqlite3.Error:
        raise
    except Exception as exc:  # noqa: BLE001 - the per-record policy: one correction never stops the consumer
        metrics.corrections.labels(outcome="internal_error").inc()
        logger.error("correction at %s[%d]@%d refused: %s while handling it", *where, type(exc).__name__)
        return "internal_error"
    metrics.corrections.labels(outcome=outcome.value).inc()
    if outcome is not StoreOutcome.STALE and feedback.text is None:
        logger.info("correction %s stored; its text will be read from the routed event", feedback.ticket_id)
        return PENDING
    return outcome.value


class FeedbackConsumer(BackgroundWorker):
    """Runs in a thread until :meth:`stop`; offsets are committed only after the corrections are in the store."""

    name = "feedback-consumer"

    def __init__(
        self,
        kafka: KafkaSettings,
        topic: str,
        group_id: str,
        store: FeedbackStore,
        metrics: TrainerMetrics,
        fetch_timeout_s: float = 5.0,
        fetcher: Fetcher | None = None,
    ) -> None:
        super().__init__()
        self._kafka = kafka
        self._topic = topic
        self._group_id = group_id
        self._store = store
        self._metrics = metrics
        self._fetch_timeout_s = fetch_timeout_s
        self._fetch = fetcher or (lambda wanted: fetch_routed_texts(kafka, wanted, fetch_timeout_s))
        self._next_resolve = 0.0
        self._loop: ConsumeLoop[TopicReader, ConsumerRecord] = ConsumeLoop(
            "feedback consumer",
            self._connect,
            self._consume,
            outage=_outage,
            stop=self._stop,
            log=logger,
        )

    def alive(self) -> bool:
        """False when the loop has not turned for a long time."""
        return self._loop.alive()

    def ready(self) -> bool:
        """Connected to the broker and subscribed."""
        return self._loop.connection is not None

    def run(self) -> None:
        """Connect (with backoff), consume until stopped, reconnect after broker or store errors."""
        self._loop.run()

    def _connect(self) -> TopicReader:
        kwargs = consumer_kwargs(self._kafka, self._group_id, max_poll_records=500, reconnect_backoff_max_ms=2000)
        reader = TopicReader(KafkaConsumer(self._topic, **kwargs))
        logger.info("reading corrections from %s as group %s", self._topic, self._group_id)
        return reader

    def _consume(self, reader: TopicReader, records: list[ConsumerRecord]) -> None:
        fresh_references = False
        if records:
            for record in records:
                fresh_references |= store_record(self._store, self._metrics, record) == PENDING
            # Committed only after the store write; a batch read twice is harmless (same correction → stale).
            reader.commit()
        # Fresh references are read at once; ones that failed are retried now and then, not every poll.
        if fresh_references or time.monotonic() >= self._next_resolve:
            self._next_resolve = time.monotonic() + RETRY_PENDING_S
            try:
                self.resolve_pending()
            except (KafkaError, sqlite3.Error):
                raise
            except Exception as exc:  # noqa: BLE001 - texts stay pending and are tried again later
                logger.error("reading referenced routed events failed: %s", type(exc).__name__)

    def resolve_pending(self) -> int:
        """Read the text of corrections that only reference a routed event; returns how many were resolved."""
        pending = self._store.pending_texts()
        if not pending:
            return 0
        found = self._fetch(pending)
        self._store.resolve_texts(found, [p.ticket_id for p in pending if p.ticket_id not in found])
        if found:
            logger.info("read the text of %d referenced routed events", len(found))
        return len(found)


def _outage(exc: Exception) -> str | None:
    """A broker error, or an error of the store: nothing was committed for the batch that failed, it is read
    again after the pause."""
    if isinstance(exc, sqlite3.Error):
        return f"feedback store error ({type(exc).__name__})"
    return broker_outage(exc)
