"""The triage loop: poll ``routed.triage`` in the console's group → decode → store → commit."""

from __future__ import annotations

import logging
import time
from typing import Any

from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError
from sqlalchemy.exc import DBAPIError

from console.metrics import ConsoleMetrics
from console.queue import RecordRefusedError, decode_triage
from console.settings import ConsoleSettings
from console.store import Incoming, WorkStore, is_connection_error
from schemas.common import utc_now
from schemas.outputs import SourcePosition
from streaming.kafka_config import consumer_kwargs
from streaming.worker import BackgroundWorker

logger = logging.getLogger(__name__)

STALL_AFTER_S = 120.0


def decode_batch(records: list[ConsumerRecord], max_bytes: int, metrics: ConsoleMetrics) -> list[Incoming]:
    """The records that are triage events; every other one is logged by position and counted, never raised."""
    batch = []
    for record in records:
        position = SourcePosition(topic=record.topic, partition=record.partition, offset=record.offset)
        try:
            batch.append(Incoming(decode_triage(record.value, max_bytes), position))
        except RecordRefusedError as exc:
            refuse(metrics, position, exc.reason, str(exc))
        except Exception as exc:  # noqa: BLE001 - one bad record never stops the queue (issue #17's policy)
            refuse(metrics, position, "error", type(exc).__name__)
    return batch


def refuse(metrics: ConsoleMetrics, position: SourcePosition, reason: str, detail: str) -> None:
    """Log and count one record that is skipped."""
    metrics.refused.labels(reason=reason).inc()
    logger.warning(
        "triage record %s[%d]@%d skipped (%s): %s", position.topic, position.partition, position.offset, reason, detail
    )


class TriageConsumer(BackgroundWorker):
    """Runs in a thread until :meth:`stop`; offsets are committed only after the batch's items are stored."""

    name = "triage-consumer"

    def __init__(self, settings: ConsoleSettings, store: WorkStore, metrics: ConsoleMetrics) -> None:
        super().__init__()
        self._settings = settings
        self._store = store
        self._metrics = metrics
        self._consumer: Any = None
        self._last_beat = time.monotonic()

    def alive(self) -> bool:
        """False at once when the thread has died, or when the loop has not turned for a long time."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return False
        return time.monotonic() - self._last_beat < STALL_AFTER_S

    def ready(self) -> bool:
        """Partitions of the triage topic are assigned and the group coordinator is known."""
        consumer = self._consumer
        try:
            return (
                bool(consumer is not None and consumer.assignment()) and not consumer._coordinator.coordinator_unknown()
            )
        except (KafkaError, AttributeError):
            return False

    def run(self) -> None:
        """Consume until stopped; an unexpected error ends the thread, which /healthz reports at once."""
        try:
            self._run()
        except Exception:  # noqa: BLE001 - logged here, then the dead thread is the signal (alive() is False)
            logger.exception("the triage consumer stopped on an unexpected error")

    def _run(self) -> None:
        """Connect (with backoff), consume until stopped, reconnect after broker or database outages."""
        backoff = 0.5
        s = self._settings
        while not self._stop.is_set():
            self._last_beat = time.monotonic()
            try:
                self._consumer = KafkaConsumer(
                    s.triage_topic,
                    **consumer_kwargs(
                        s,
                        s.group_id,
                        max_poll_records=500,
                        isolation_level="read_committed",
                        reconnect_backoff_max_ms=2000,
                    ),
                )
                logger.info("reading %s as group %s", s.triage_topic, s.group_id)
                self._consume()
                backoff = 0.5
            except KafkaError as exc:
                logger.warning("triage consumer: %s; reconnecting in %.1fs", type(exc).__name__, backoff)
            except DBAPIError as exc:
                if not is_connection_error(exc):
                    raise
                # Nothing of the batch was committed: it is read again once the database is back.
                logger.error("work-item database unreachable (%s); retrying in %.1fs", type(exc).__name__, backoff)
            finally:
                consumer, self._consumer = self._consumer, None
                if consumer is not None:
                    consumer.close()
            self._stop.wait(backoff)
            backoff = min(backoff * 2, s.reconnect_backoff_max_s)
        logger.info("triage consumer stopped")

    def _consume(self) -> None:
        while not self._stop.is_set():
            self._last_beat = time.monotonic()
            polled = self._consumer.poll(timeout_ms=500)
            records = [r for batch in polled.values() for r in batch]
            if not records:
                continue
            batch = decode_batch(records, self._settings.max_message_bytes, self._metrics)
            result = self._store.ingest(batch, utc_now())
            for position in result.refused:
                refuse(self._metrics, position, "database", "the database refused the item")
            self._metrics.ingested.labels(outcome="new").inc(result.new)
            self._metrics.ingested.labels(outcome="duplicate").inc(result.duplicate)
            try:
                self._consumer.commit()
            except (CommitFailedError, RebalanceInProgressError) as exc:
                # Read again by the partition's next owner; the store ignores events it has.
                logger.warning("triage commit failed (%s); the batch will be re-read", type(exc).__name__)
