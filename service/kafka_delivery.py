"""The router's Kafka clients: read micro-batches, and deliver outputs with their offsets atomically."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import IllegalStateError, KafkaError, MessageSizeTooLargeError
from kafka.producer.future import FutureRecordMetadata
from kafka.structs import OffsetAndMetadata

from core.errors import ConfigError
from service.routing import InRecord, OutRecord
from service.settings import RouterSettings
from streaming.group_reader import RETRIABLE_COMMIT_ERRORS, GroupMember, flatten
from streaming.kafka_config import consumer_kwargs

logger = logging.getLogger(__name__)


def next_offsets(records: Sequence[InRecord]) -> dict[TopicPartition, int]:
    """Per partition, the offset after the last record of the batch: what to commit."""
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
    return offsets


def first_offsets(records: Sequence[InRecord]) -> dict[TopicPartition, int]:
    """Per partition, the first offset of the batch: where to rewind after an aborted transaction."""
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        offsets[tp] = min(offsets.get(tp, r.offset), r.offset)
    return offsets


class RouterClients(GroupMember):
    """A consumer in the router's group and a producer (transactional in exactly-once mode).

    ``with RouterClients(settings) as clients:`` opens both and closes them whatever happens (also
    ``ExitStack.enter_context``); :meth:`close` is idempotent.
    """

    def __init__(self, settings: RouterSettings) -> None:
        self.settings = settings
        self.exactly_once = settings.delivery == "exactly_once"
        self.consumer: Any = None
        self.producer: Any = None

    def __enter__(self) -> RouterClients:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        """Connect both clients; raises ``KafkaError`` (e.g. NoBrokersAvailable) when the broker is away.

        A failure part way closes what was opened.
        """
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        s = self.settings
        self.consumer = KafkaConsumer(
            *s.input_topics,
            **consumer_kwargs(
                s,
                s.group_id,
                max_poll_records=s.batch_size,
                isolation_level="read_committed",
                fetch_max_wait_ms=max(10, min(s.batch_wait_ms, 500)),
                request_timeout_ms=15_000,
                reconnect_backoff_max_ms=2_000,
            ),
        )
        producer_kwargs: dict[str, object] = {
            **s.client_kwargs(),
            "acks": "all",
            "linger_ms": 2,
            "batch_size": 256 * 1024,
            "max_block_ms": 10_000,
            "request_timeout_ms": 10_000,
            "delivery_timeout_ms": 30_000,
            "reconnect_backoff_max_ms": 2_000,
            "max_request_size": s.producer_max_bytes,
        }
        if self.exactly_once:
            producer_kwargs["transactional_id"] = s.transactional_id_for()
        self.producer = KafkaProducer(**producer_kwargs)
        if self.exactly_once:
            self.producer.init_transactions()

    def close(self, timeout_s: float = 10.0) -> None:
        """Close both clients (idempotent); the consumer leaves the group so partitions move at once."""
        consumer, producer, self.consumer, self.producer = self.consumer, self.producer, None, None
        for client in (producer, consumer):
            if client is None:
                continue
            try:
                client.close(timeout=timeout_s) if client is producer else client.close()
            except KafkaError as exc:
                logger.warning("closing %s: %s", type(client).__name__, exc)

    def poll(self) -> list[InRecord]:
        """Up to ``batch_size`` records, waiting at most ``batch_wait_ms`` for the first ones."""
        polled = self.consumer.poll(timeout_ms=self.settings.batch_wait_ms, max_records=self.settings.batch_size)
        return [
            InRecord(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp, r.headers or ())
            for r in flatten(polled)
        ]

    def deliver(self, records: Sequence[InRecord], outgoing: Sequence[OutRecord]) -> bool:
        """Publish ``outgoing`` and commit the batch's offsets; True when committed, False when it must be redone."""
        if self.producer is None:
            raise IllegalStateError("the router's Kafka clients are closed")
        offsets = {tp: OffsetAndMetadata(off, "", -1) for tp, off in next_offsets(records).items()}
        try:
            if self.exactly_once:
                return self._deliver_transactional(records, outgoing, offsets)
            return self._deliver_then_commit(outgoing, offsets)
        except MessageSizeTooLargeError as exc:
            # Every record was sized to fit producer_max_bytes: the broker's own limit must be lower.
            raise ConfigError(
                f"the broker refused a record as too large ({exc}); set TICKET_ROUTER_PRODUCER_MAX_BYTES "
                "at or below the broker's message.max.bytes"
            ) from exc

    def _send_all(self, outgoing: Sequence[OutRecord]) -> list[FutureRecordMetadata]:
        return [self.producer.send(o.topic, key=o.key, value=o.value, headers=o.headers) for o in outgoing]

    def _deliver_transactional(
        self,
        records: Sequence[InRecord],
        outgoing: Sequence[OutRecord],
        offsets: dict[TopicPartition, OffsetAndMetadata],
    ) -> bool:
        """One transaction: outputs and offsets; False after a rebalance (aborted, rewound: read again).

        Any other exception leaves the transaction open at the broker but never in use: it is not aborted
        here (kafka-python's abort waits without bound while the broker is away), the clients are closed
        at once, so nothing more can be sent in it, and the next producer with this transactional id (the
        rebuilt clients, or the restarted replica) fences it, which aborts it.
        """
        self.producer.begin_transaction()
        try:
            try:
                self._send_all(outgoing)
                self.producer.send_offsets_to_transaction(offsets, self.consumer.group_metadata())
                self.producer.commit_transaction()
                return True
            except RETRIABLE_COMMIT_ERRORS as exc:
                logger.warning("transaction aborted (%s); the batch will be read again", type(exc).__name__)
                self.producer.abort_transaction()
                self._rewind(records)
                return False
        except BaseException:
            self.close()
            raise

    def _deliver_then_commit(
        self, outgoing: Sequence[OutRecord], offsets: dict[TopicPartition, OffsetAndMetadata]
    ) -> bool:
        futures = self._send_all(outgoing)
        self.producer.flush()
        for future in futures:
            future.get(timeout=0)  # raises the send's error, if any: then nothing is committed
        try:
            self.consumer.commit(offsets)
            return True
        except RETRIABLE_COMMIT_ERRORS as exc:
            # Outputs were acknowledged; the partition's next owner reads the batch again (at-least-once).
            logger.warning("offset commit failed (%s) after delivery; up to one batch may repeat", type(exc).__name__)
            return False

    def _rewind(self, records: Sequence[InRecord]) -> None:
        owned = self.consumer.assignment()
        for tp, offset in first_offsets(records).items():
            if tp in owned:
                self.consumer.seek(tp, offset)
