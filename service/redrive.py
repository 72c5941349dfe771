"""``ticket-router redrive`` against Kafka: read the DLQ up to its end at start, re-publish in transactions."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from core.errors import BrokerError
from service.kafka_delivery import next_offsets
from service.redrive_plan import Planned, Selection, Tally, plan
from service.routing import InRecord
from service.settings import RouterSettings
from streaming.kafka_config import consumer_kwargs

logger = logging.getLogger(__name__)

ProgressFn = Callable[[Tally, int], None]
"""Called with the tally so far and the number of records the run expects to read at most."""


@dataclass(frozen=True)
class RedriveOptions:
    """One redrive run: what to select, where to send it, and how to read."""

    selection: Selection
    group_id: str
    max_redrives: int = 3
    to_topic: str | None = None
    dry_run: bool = False
    from_beginning: bool = False
    batch_size: int = 500
    progress_interval_s: float = 2.0
    idle_timeout_s: float = 30.0
    """Stop (and report the partitions left) when no record arrives for this long before the end is reached."""


class Redrive:
    """Reads the dead-letter topic in its own consumer group from its committed position to the end seen at start."""

    def __init__(
        self,
        settings: RouterSettings,
        options: RedriveOptions,
        on_planned: Callable[[Planned, InRecord], None] = lambda _p, _r: None,
        on_progress: ProgressFn = lambda _t, _n: None,
    ) -> None:
        self.settings = settings
        self.options = options
        self._on_planned = on_planned
        self._on_progress = on_progress
        self.tally = Tally()
        self.unfinished: dict[str, int] = {}
        """Partitions whose end was not reached (``"<partition>": records left``)."""

    def run(self) -> Tally:
        """Redrive until every partition's end at start is reached; raises :class:`BrokerError` on Kafka errors."""
        try:
            with ExitStack() as stack:
                consumer = self._consumer()
                stack.callback(consumer.close)
                producer = None if self.options.dry_run else self._producer()
                if producer is not None:
                    stack.callback(producer.close, 10)
                self._drain(consumer, producer)
        except KafkaError as exc:
            raise BrokerError(f"redrive stopped by a Kafka error: {type(exc).__name__}: {exc}") from exc
        return self.tally

    def _consumer(self) -> KafkaConsumer:
        s, o = self.settings, self.options
        kwargs = consumer_kwargs(s, o.group_id, isolation_level="read_committed", max_poll_records=o.batch_size)
        return KafkaConsumer(**kwargs)

    def _producer(self) -> KafkaProducer:
        transactional_id = f"{self.options.group_id}-{socket.gethostname()}-{os.getpid()}"
        producer = KafkaProducer(
            **self.settings.client_kwargs(), acks="all", transactional_id=transactional_id, max_block_ms=10_000
        )
        producer.init_transactions()
        return producer

    def _start(self, consumer: KafkaConsumer) -> dict[TopicPartition, int]:
        """Assign every DLQ partition at its start position; returns the ends (high watermarks) at start."""
        topic = self.settings.dlq_topic
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            logger.warning("dead-letter topic %s not found or empty of partitions", topic)
            return {}
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        ends: dict[TopicPartition, int] = consumer.end_offsets(tps)
        for tp in tps:
            committed = None if self.options.from_beginning else consumer.committed(tp)
            if committed is None:
                consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
        return {tp: end for tp, end in ends.items() if consumer.position(tp) < end}

    def _drain(self, consumer: KafkaConsumer, producer: KafkaProducer | None) -> None:
        remaining = self._start(consumer)
        expected = sum(end - consumer.position(tp) for tp, end in remaining.items())
        logger.info("redrive: up to %d records to read from %d partitions", expected, len(remaining))
        last_record = last_progress = time.monotonic()
        while remaining:
            polled = consumer.poll(timeout_ms=500, max_records=self.options.batch_size)
            batch = [
                InRecord(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp, r.headers or ())
                for tp, records in polled.items()
                if tp in remaining
                for r in records
                if r.offset < remaining[tp]  # records after the end seen at start wait for the next run
            ]
            if batch:
                self._handle(batch, consumer, producer)
                last_record = time.monotonic()
            for tp in [tp for tp, end in remaining.items() if consumer.position(tp) >= end]:
                del remaining[tp]
            now = time.monotonic()
            if now - last_progress >= self.options.progress_interval_s:
                self._on_progress(self.tally, expected)
                last_progress = now
            if remaining and now - last_record > self.options.idle_timeout_s:
                self.unfinished = {str(tp.partition): end - consumer.position(tp) for tp, end in remaining.items()}
                logger.warning("redrive: no record for %.0fs before the end of %s", now - last_record, self.unfinished)
                break
        self._on_progress(self.tally, expected)

    def _handle(self, batch: list[InRecord], consumer: KafkaConsumer, producer: KafkaProducer | None) -> None:
        o = self.options
        planned = [plan(record, o.selection, o.max_redrives, o.to_topic) for record in batch]
        if producer is not None:
            self._publish(planned, batch, consumer, producer)
        for decision, record in zip(planned, batch, strict=True):
            self.tally.add(decision)
            self._on_planned(decision, record)

    @staticmethod
    def _publish(
        planned: list[Planned], batch: list[InRecord], consumer: KafkaConsumer, producer: KafkaProducer
    ) -> None:
        # The re-published records and the group's new position commit together: a crashed run resumes
        # after the last committed batch and never sends a record twice.
        offsets = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in next_offsets(batch).items()}
        producer.begin_transaction()
        try:
            for out in (decision.out for decision in planned if decision.out is not None):
                producer.send(out.topic, key=out.key, value=out.value, headers=out.headers)
            producer.send_offsets_to_transaction(offsets, consumer.group_metadata())
            producer.commit_transaction()
        except KafkaError:
            producer.abort_transaction()
            raise
