"""The triage loop: poll ``routed.triage`` in the console's group → decode → store → commit."""

from __future__ import annotations

import logging

from kafka import KafkaConsumer
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy.exc import DBAPIError

from console.metrics import ConsoleMetrics
from console.queue import RecordRefusedError, decode_triage
from console.settings import ConsoleSettings
from console.store import Incoming, WorkStore, is_connection_error
from schemas.common import utc_now
from schemas.outputs import SourcePosition
from streaming.consume_loop import ConsumeLoop, broker_outage
from streaming.group_reader import TopicReader
from streaming.kafka_config import consumer_kwargs
from streaming.worker import BackgroundWorker

logger = logging.getLogger(__name__)


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
        self._loop: ConsumeLoop[TopicReader, ConsumerRecord] = ConsumeLoop(
            "triage consumer",
            self._connect,
            self._consume,
            # Nothing of the batch was committed: it is read again once the broker or the database is back.
            outage=_outage,
            backoff_max_s=settings.reconnect_backoff_max_s,
            stop=self._stop,
            log=logger,
        )

    def alive(self) -> bool:
        """False at once when the thread has died, or when the loop has not turned for a long time."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return False
        return self._loop.alive()

    def ready(self) -> bool:
        """Partitions of the triage topic are assigned and the group coordinator answers."""
        reader = self._loop.connection
        return reader is not None and reader.assigned()

    def run(self) -> None:
        """Consume until stopped; an unexpected error ends the thread, which /healthz reports at once."""
        try:
            self._loop.run()
        except Exception:  # noqa: BLE001 - logged here, then the dead thread is the signal (alive() is False)
            logger.exception("the triage consumer stopped on an unexpected error")

    def _connect(self) -> TopicReader:
        s = self._settings
        kwargs = consumer_kwargs(
            s, s.group_id, max_poll_records=500, isolation_level="read_committed", reconnect_backoff_max_ms=2000
        )
        reader = TopicReader(KafkaConsumer(s.triage_topic, **kwargs))
        logger.info("reading %s as group %s", s.triage_topic, s.group_id)
        return reader

    def _consume(self, reader: TopicReader, records: list[ConsumerRecord]) -> None:
        if not records:
            return
        batch = decode_batch(records, self._settings.max_message_bytes, self._metrics)
        result = self._store.ingest(batch, utc_now())
        for position in result.refused:
            refuse(self._metrics, position, "database", "the database refused the item")
        self._metrics.ingested.labels(outcome="new").inc(result.new)
        self._metrics.ingested.labels(outcome="duplicate").inc(result.duplicate)
        reader.commit()  # refused by a rebalance: the partition's next owner reads it again; the store ignores it


def _outage(exc: Exception) -> str | None:
    """A broker error, or a database that cannot be reached (any other database error ends the thread)."""
    if isinstance(exc, DBAPIError) and is_connection_error(exc):
        return f"work-item database unreachable ({type(exc).__name__})"  # its message may carry data: not logged
    return broker_outage(exc)
