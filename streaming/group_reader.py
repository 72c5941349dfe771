"""A subscribed Kafka consumer as the consume loop sees it: flat polls, lag, group health, tolerant commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError

logger = logging.getLogger(__name__)

RETRIABLE_COMMIT_ERRORS = (CommitFailedError, RebalanceInProgressError)
"""Errors after which the batch is simply read again (by us or by the partition's new owner)."""

COORDINATOR_PROBE_MS = 1000
"""How long the loop waits for the group coordinator to answer its periodic check."""
UNANSWERED_CHECKS = 2
"""Checks in a row the coordinator leaves unanswered before the consumer is not ready (one slow answer on a
loaded machine is not an outage)."""


def flatten(polled: Mapping[TopicPartition, Iterable[ConsumerRecord]]) -> list[ConsumerRecord]:
    """The records of a ``KafkaConsumer.poll`` answer (a batch per partition) in one list."""
    return [record for batch in polled.values() for record in batch]


class GroupMember:
    """Lag and group health of ``self.consumer``, read by the loop thread (the consumer is not thread-safe).

    :meth:`lag` runs in the loop; :meth:`assigned` may run in an HTTP thread: it reads the consumer's
    assignment and the coordinator's answer to the loop's last check, never the network.
    """

    consumer: Any = None
    in_group = True
    """False for a consumer without a group (no coordinator to check)."""
    _unanswered = 0

    def lag(self) -> dict[TopicPartition, int]:
        """Records behind the high watermark per assigned partition (where both are known).

        Also checks that the group coordinator answers (a committed-offset read), for :meth:`assigned`.
        """
        consumer = self.consumer
        owned = consumer.assignment()
        if owned and self.in_group:
            answered = _coordinator_answers(consumer, next(iter(owned)))
            self._unanswered = 0 if answered else self._unanswered + 1
        lags = {}
        for tp in owned:
            high = consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = consumer.position(tp, timeout_ms=100)
            except KafkaError:
                continue
            if position is not None:
                lags[tp] = max(0, high - position)
        return lags

    def assigned(self) -> bool:
        """Whether partitions are assigned and the group coordinator answered one of the loop's last checks.

        kafka-python keeps the last assignment while the broker is away; the coordinator's silence tells.
        """
        consumer = self.consumer
        try:
            return bool(consumer is not None and consumer.assignment()) and self._unanswered < UNANSWERED_CHECKS
        except KafkaError:
            return False


def _coordinator_answers(consumer: KafkaConsumer, partition: TopicPartition) -> bool:
    try:
        consumer.committed(partition, timeout_ms=COORDINATOR_PROBE_MS)
    except KafkaError as exc:
        logger.debug("group coordinator check failed: %s", type(exc).__name__)
        return False
    return True


class TopicReader(GroupMember):
    """A connection of :class:`streaming.consume_loop.ConsumeLoop` over a subscribed ``KafkaConsumer``."""

    def __init__(self, consumer: KafkaConsumer, poll_timeout_ms: int = 500, in_group: bool = True) -> None:
        self.consumer = consumer
        self.in_group = in_group
        self._poll_timeout_ms = poll_timeout_ms

    def poll(self) -> list[ConsumerRecord]:
        """The records that arrived, waiting at most the poll timeout for the first ones."""
        return flatten(self.consumer.poll(timeout_ms=self._poll_timeout_ms))

    def commit(self) -> bool:
        """Commit what was polled; False (logged) when a rebalance refused it and the batch will be read again."""
        try:
            self.consumer.commit()
        except RETRIABLE_COMMIT_ERRORS as exc:
            logger.warning("commit failed (%s); the batch will be read again", type(exc).__name__)
            return False
        return True

    def close(self) -> None:
        """Leave the group and close the consumer."""
        self.consumer.close()
