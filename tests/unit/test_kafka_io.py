"""A record size the broker refuses is a clear config error; other errors propagate without blocking on abort.

Whatever goes wrong while a transaction is open, the transaction is never left in use: a rebalance aborts it
(the broker is there to answer), anything else closes the clients at once without an abort (kafka-python's
abort waits without bound while the broker is away) and the next producer with the same id fences it.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RebalanceInProgressError,
)

from core.errors import ConfigError
from service import kafka_delivery
from service.kafka_delivery import RouterClients
from service.routing import InRecord, OutRecord
from service.settings import RouterSettings

RECORDS = [InRecord("in", 0, 5, b"k", b"v", 0)]
OUT = [OutRecord("routed.cards", b"k", b"{}", [])]


class Producer:
    def __init__(self, error: BaseException | None = None, commit_error: BaseException | None = None) -> None:
        self.error = error
        self.commit_error = commit_error
        self.calls: list[str] = []

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def send(self, *args: Any, **kwargs: Any) -> Any:
        if self.error is not None:
            raise self.error
        self.calls.append("send")

    def send_offsets_to_transaction(self, offsets: Any, group: Any) -> None:
        self.calls.append("offsets")

    def commit_transaction(self) -> None:
        if self.commit_error is not None:
            raise self.commit_error
        self.calls.append("commit")

    def abort_transaction(self) -> None:
        self.calls.append("abort")

    def flush(self) -> None:
        self.calls.append("flush")

    def close(self, timeout: float) -> None:
        self.calls.append("close")


class Consumer:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.seeks: list[tuple[TopicPartition, int]] = []

    def group_metadata(self) -> object:
        return object()

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("in", 0)}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    def close(self) -> None:
        self.calls.append("close")


def _clients(delivery: str, producer: Producer, consumer: Consumer | None = None) -> RouterClients:
    clients = RouterClients(RouterSettings(delivery=delivery))  # type: ignore[arg-type]
    clients.producer = producer
    clients.consumer = consumer or Consumer()
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
    assert producer.calls == ["begin", "close"]


@pytest.mark.parametrize(
    "error",
    [
        KafkaTimeoutError("no metadata"),
        KafkaConnectionError("broker gone"),
        RuntimeError("a bug"),
        ValueError("a header that is not bytes"),
        KeyboardInterrupt(),
    ],
    ids=type,
)
@pytest.mark.parametrize("at", ["send", "commit"])
def test_any_error_in_a_transaction_closes_the_clients_without_an_abort(error: BaseException, at: str) -> None:
    producer = Producer(error) if at == "send" else Producer(commit_error=error)
    consumer = Consumer()
    clients = _clients("exactly_once", producer, consumer)
    with pytest.raises(type(error)):
        clients.deliver(RECORDS, OUT)
    assert "abort" not in producer.calls and "commit" not in producer.calls
    assert producer.calls[-1] == "close" and consumer.calls == ["close"], "both clients closed at once"
    with pytest.raises(IllegalStateError):  # a KafkaError: the router rebuilds its clients
        clients.deliver(RECORDS, OUT)
    assert producer.calls.count("begin") == 1, "no second transaction on the spent producer"
    clients.close()
    assert producer.calls.count("close") == 1 and consumer.calls == ["close"], "close is idempotent"


@pytest.mark.parametrize("error", [CommitFailedError("rebalanced"), RebalanceInProgressError("rebalancing")], ids=type)
def test_a_rebalance_aborts_the_transaction_and_rewinds(error: KafkaError) -> None:
    producer, consumer = Producer(commit_error=error), Consumer()
    records = [
        InRecord("in", 0, 5, b"k", b"v", 0),
        InRecord("in", 0, 6, b"k", b"v", 0),
        InRecord("in", 1, 2, b"", b"", 0),
    ]
    clients = _clients("exactly_once", producer, consumer)
    assert clients.deliver(records, OUT) is False
    assert producer.calls == ["begin", "send", "offsets", "abort"]
    assert consumer.seeks == [(TopicPartition("in", 0), 5)], "only owned partitions, to the batch's first offset"
    assert clients.producer is producer, "the clients stay open: the batch is read again"


def test_a_committed_transaction() -> None:
    producer = Producer()
    assert _clients("exactly_once", producer).deliver(RECORDS, OUT) is True
    assert producer.calls == ["begin", "send", "offsets", "commit"]


class FailingProducer:
    def __init__(self, **kwargs: Any) -> None:
        raise KafkaConnectionError("no broker answers")


def test_clients_are_a_context_manager_that_closes_what_it_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    consumers: list[Consumer] = []

    def make_consumer(*topics: str, **kwargs: Any) -> Consumer:
        consumers.append(Consumer())
        return consumers[-1]

    monkeypatch.setattr(kafka_delivery, "KafkaConsumer", make_consumer)
    monkeypatch.setattr(kafka_delivery, "KafkaProducer", FailingProducer)
    with pytest.raises(KafkaConnectionError), RouterClients(RouterSettings()):
        pytest.fail("not reached: the producer could not connect")
    assert consumers[0].calls == ["close"], "the consumer opened before the failure is closed"

    producers: list[Producer] = []
    monkeypatch.setattr(kafka_delivery, "KafkaProducer", lambda **kwargs: producers.append(Producer()) or producers[-1])
    settings = RouterSettings(delivery="at_least_once")
    with contextlib.ExitStack() as stack:
        clients = stack.enter_context(RouterClients(settings))
        assert clients.consumer is consumers[1] and clients.producer is producers[0]
    assert consumers[1].calls == ["close"] and producers[0].calls == ["close"]
    assert clients.consumer is None and clients.producer is None
