"""The one consume loop with fake connections (no broker): backoff, hand-over, outages, stalls, stop."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaConnectionError, KafkaTimeoutError

from streaming import consume_loop
from streaming.consume_loop import ConsumeLoop
from streaming.group_reader import TopicReader, flatten

TP = TopicPartition("in", 0)


class InstantStop(threading.Event):
    """A stop flag whose waits return at once and are recorded (the backoff, without sleeping)."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0.0)
        return self.is_set()


class FakeConnection:
    """Hands out prepared polls, then empty ones; reports a fixed lag."""

    def __init__(self, polls: list[list[str]], lag: dict[TopicPartition, int] | None = None) -> None:
        self.polls = polls
        self.lags = lag or {}
        self.closed = 0

    def poll(self) -> list[str]:
        return self.polls.pop(0) if self.polls else []

    def lag(self) -> dict[TopicPartition, int]:
        return dict(self.lags)

    def close(self) -> None:
        self.closed += 1


class Connector:
    """``connect`` for the loop: raises the prepared errors first, then opens the prepared connections."""

    def __init__(self, errors: list[Exception], connections: list[FakeConnection]) -> None:
        self.errors = errors
        self.connections = connections
        self.opened: list[FakeConnection] = []

    def __call__(self) -> FakeConnection:
        if self.errors:
            raise self.errors.pop(0)
        self.opened.append(self.connections.pop(0))
        return self.opened[-1]


def _loop(
    connect: Connector, handle: Callable[[FakeConnection, list[str]], None], stop: threading.Event, **kwargs: Any
) -> ConsumeLoop[FakeConnection, str]:
    return ConsumeLoop("test loop", connect, handle, stop=stop, **kwargs)


def test_backoff_doubles_to_its_maximum_and_restarts_after_a_connection(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    stop = InstantStop()
    errors: list[Exception] = [KafkaConnectionError("no broker")] * 5
    connect = Connector(errors, [FakeConnection([]), FakeConnection([])])
    turns: list[int] = []

    def handle(connection: FakeConnection, records: list[str]) -> None:
        turns.append(len(connect.opened))
        if len(connect.opened) == 1:
            raise KafkaTimeoutError("broker went away")
        stop.set()

    loop = _loop(connect, handle, stop, backoff_max_s=3.0)
    loop.run()
    assert stop.waits == [0.5, 1.0, 2.0, 3.0, 3.0, 0.5], "0.5 s doubling up to the maximum, then 0.5 s again"
    assert turns == [1, 2] and loop.outages == 6
    assert [c.closed for c in connect.opened] == [1, 1], "every connection closed once"
    assert loop.connection is None
    assert "test loop: Kafka error (KafkaConnectionError: no broker); reconnecting in 0.5s" in caplog.text
    assert "test loop stopped" in caplog.text


def test_every_poll_is_handed_over_in_order_and_stop_finishes_the_batch_in_hand() -> None:
    stop = InstantStop()
    connection = FakeConnection([["a", "b"], [], ["c"]])
    seen: list[list[str]] = []

    def handle(conn: FakeConnection, records: list[str]) -> None:
        assert conn is connection and loop.connection is connection
        seen.append(records)
        if records == ["c"]:
            loop.stop()
            loop.stop()  # idempotent
            seen.append(["after stop"])  # the handler finishes its batch

    loop = _loop(Connector([], [connection]), handle, stop)
    loop.run()
    assert seen == [["a", "b"], [], ["c"], ["after stop"]], "empty polls reach the handler too (periodic work)"
    assert connection.closed == 1 and stop.waits == []


def test_a_stopped_loop_does_not_connect() -> None:
    stop = InstantStop()
    connect = Connector([], [FakeConnection([])])
    loop = _loop(connect, lambda conn, records: None, stop)
    loop.stop()
    loop.run()
    assert connect.opened == []


def _store_outage(exc: Exception) -> str | None:
    return f"store error ({type(exc).__name__})" if isinstance(exc, sqlite3.Error) else None


def test_an_outage_of_the_consumers_own_kind_reconnects_and_anything_else_ends_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = InstantStop()
    first, second = FakeConnection([["a"]]), FakeConnection([["a"]])
    calls: list[str] = []

    def handle(conn: FakeConnection, records: list[str]) -> None:
        if not records:
            return
        calls.append("handle")
        if conn is first:
            raise sqlite3.OperationalError("database is locked")
        raise ZeroDivisionError("a bug")

    loop = _loop(Connector([], [first, second]), handle, stop, outage=_store_outage)
    with pytest.raises(ZeroDivisionError):
        loop.run()
    assert calls == ["handle", "handle"], "the batch is read again after the store came back"
    assert first.closed == second.closed == 1 and loop.outages == 1 and loop.connection is None
    assert "test loop: store error (OperationalError); reconnecting in 0.5s" in caplog.text
    assert "locked" not in caplog.text, "described by the consumer: a database's message may carry data"


def test_a_kafka_error_is_no_outage_for_a_loop_that_says_so() -> None:
    connect = Connector([KafkaConnectionError("no broker")], [])
    loop = _loop(connect, lambda conn, records: None, InstantStop(), outage=lambda e: None)
    with pytest.raises(KafkaConnectionError):
        loop.run()


def test_records_waiting_without_arriving_are_a_stall_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    stop = InstantStop()
    connection = FakeConnection([], lag={TP: 40, TopicPartition("in", 1): 0})
    measures: list[dict[TopicPartition, int]] = []
    states: list[bool] = []

    def handle(conn: FakeConnection, records: list[str]) -> None:
        if len(measures) == 3:
            connection.lags = {}  # everything read: idle, not stalled
        if len(measures) == 4:
            stop.set()  # after this turn's measure

    def on_lag(lags: Any) -> None:
        measures.append(dict(lags))
        states.append(loop.stalled)

    loop = _loop(Connector([], [connection]), handle, stop, stall_after_s=0.0, lag_interval_s=0.0, on_lag=on_lag)
    loop.run()
    assert states == [False, True, True, False, False], "the first measure starts the clock"
    assert caplog.text.count("fetches stopped progressing: 40 records wait on 1 partitions") == 1
    assert caplog.text.count("fetches progress again") == 1


def test_alive_until_the_loop_has_not_turned_for_the_stall_period(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = _loop(Connector([], []), lambda conn, records: None, InstantStop())
    assert loop.alive()
    monkeypatch.setattr(consume_loop, "STALL_AFTER_S", 0.0)
    assert not loop.alive()


class FakeKafkaConsumer:
    """The parts of ``KafkaConsumer`` a reader uses."""

    def __init__(self, answers: bool = True) -> None:
        self.answers = answers
        self.commits = 0
        self.commit_error: Exception | None = None

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[str]]:
        return {TP: ["a", "b"], TopicPartition("in", 1): ["c"]}

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def highwater(self, tp: TopicPartition) -> int:
        return 10

    def position(self, tp: TopicPartition, timeout_ms: int) -> int:
        return 4

    def committed(self, tp: TopicPartition, timeout_ms: int) -> int:
        if not self.answers:
            raise KafkaTimeoutError("no coordinator")
        return 4

    def commit(self) -> None:
        if self.commit_error is not None:
            raise self.commit_error
        self.commits += 1


def test_a_reader_flattens_polls_measures_lag_and_notices_a_silent_coordinator() -> None:
    from kafka.errors import CommitFailedError

    consumer = FakeKafkaConsumer()
    reader = TopicReader(consumer)
    assert reader.poll() == ["a", "b", "c"] == flatten({1: ["a", "b"], 2: ["c"]})
    assert reader.lag() == {TP: 6} and reader.assigned()
    consumer.answers = False
    assert reader.assigned(), "known from the last check only: the HTTP thread never touches the network"
    reader.lag()
    assert reader.assigned(), "one slow answer is not an outage"
    reader.lag()
    assert not reader.assigned()
    consumer.answers = True
    reader.lag()
    assert reader.assigned()
    assert reader.commit() and consumer.commits == 1
    consumer.commit_error = CommitFailedError("rebalanced")
    assert not reader.commit(), "a rebalance refuses the commit: the batch is read again, the loop goes on"
    no_group = TopicReader(FakeKafkaConsumer(answers=False), in_group=False)
    no_group.lag()
    assert no_group.assigned(), "a consumer without a group has no coordinator to check"
