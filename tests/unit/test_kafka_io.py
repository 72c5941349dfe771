"""A record size the broker refuses is a clear config error; other errors propagate without blocking on abort."""

from __future__ import annotations

from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from core.errors import ConfigError
from service.kafka_delivery import RouterClients
from service.routing import InRecord, OutRecord
from service.settings import RouterSettings

RECORDS = [InRecord("in", 0, 5, b"k", b"v", 0)]
OUT = [OutRecord("routed.cards", b"k", b"{}", [])]


class Producer:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[str] = []

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def send(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    def abort_transaction(self) -> None:
        self.calls.append("abort")

    def flush(self) -> None:
        self.calls.append("flush")


def _clients(delivery: str, producer: Producer) -> RouterClients:
    clients = RouterClients(RouterSettings(delivery=delivery))  # type: ignore[arg-type]
    clients.producer = producer
    clients.consumer = object()
    return clients


@pytest.mark.parametrize("delivery", ["exactly_once", "at_least_once"])
def test_a_size_refusal_is_a_config_error(delivery: str) -> None:
    producer = Producer(MessageSizeTooLargeError("The message is 2000000 bytes"))
    with pytest.raises(ConfigError, match="PRODUCER_MAX_BYTES"):
        _clients(delivery, producer).deliver(RECORDS, OUT)


def test_a_broker_error_propagates_without_waiting_on_an_abort() -> None:
    """kafka-python's abort waits without a bound while the broker is away: the clients are rebuilt instead,
    and the replica's next producer (same transactional id) fences the open transaction."""
    producer = Producer(KafkaTimeoutError("no metadata"))
    with pytest.raises(KafkaTimeoutError):
        _clients("exactly_once", producer).deliver(RECORDS, OUT)
    assert producer.calls == ["begin"]
