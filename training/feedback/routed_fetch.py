"""Read the text of routed events named by topic/partition/offset, with a short-lived group-less consumer."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from pydantic import ValidationError

from schemas.outputs import RoutedEvent, SourcePosition
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from training.feedback.store import PendingText

logger = logging.getLogger(__name__)


def text_of(value: bytes | None, ticket_id: str) -> str | None:
    """The message text of a routed event record, or None when it is not the routed event of ``ticket_id``."""
    if value is None:
        return None
    try:
        routed = RoutedEvent.model_validate_json(value)
    except ValidationError:
        return None
    return routed.event.text if routed.event.event_id == ticket_id else None


def fetch_routed_texts(kafka: KafkaSettings, wanted: Sequence[PendingText], timeout_s: float) -> dict[str, str]:
    """Ticket id → text for every reference that could be read within ``timeout_s``; the rest are left out."""
    if not wanted:
        return {}
    by_partition: dict[TopicPartition, list[PendingText]] = defaultdict(list)
    for item in wanted:
        if _legal(item):
            by_partition[TopicPartition(item.topic, item.partition)].append(item)
        else:  # stored before references were validated: never readable, so never asked of the broker
            logger.warning("correction %s: its routed-event reference is not a legal position", item.ticket_id)
    consumer = KafkaConsumer(
        **consumer_kwargs(kafka, None, isolation_level="read_committed", request_timeout_ms=15_000)
    )
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    try:
        for tp, items in by_partition.items():
            try:
                consumer.assign([tp])
                first = consumer.beginning_offsets([tp])[tp]
                end = consumer.end_offsets([tp])[tp]
            except KafkaError as exc:  # e.g. a partition the topic does not have: these stay unread
                logger.warning("cannot read %s[%d]: %s", tp.topic, tp.partition, type(exc).__name__)
                continue
            for item in sorted(items, key=lambda i: i.offset):
                if time.monotonic() > deadline:
                    return found
                inside = first <= item.offset < end
                record = _read_at(consumer, tp, item.offset, deadline) if inside else None
                text = text_of(record.value if record is not None else None, item.ticket_id)
                if text is None:
                    logger.warning(
                        "correction %s: no routed event of that ticket at %s[%d]@%d",
                        item.ticket_id,
                        tp.topic,
                        tp.partition,
                        item.offset,
                    )
                else:
                    found[item.ticket_id] = text
    finally:
        consumer.close()
    return found


def _legal(item: PendingText) -> bool:
    """Whether the reference names a legal topic, partition and offset (the contract of new corrections)."""
    try:
        SourcePosition(topic=item.topic, partition=item.partition, offset=item.offset)
    except ValidationError:
        return False
    return True


def _read_at(consumer: KafkaConsumer, tp: TopicPartition, offset: int, deadline: float) -> ConsumerRecord | None:
    """The record at ``offset`` (None if it is gone: compacted, expired, aborted, or not there yet)."""
    consumer.seek(tp, offset)
    while time.monotonic() < deadline:
        polled = consumer.poll(timeout_ms=200, max_records=50)
        for record in polled.get(tp, []):
            if record.offset == offset:
                return record
            if record.offset > offset:
                return None
        if not polled and consumer.position(tp) > offset:
            return None
    return None
