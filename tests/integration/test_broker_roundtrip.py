"""kafka-python against the embedded broker over TCP: keyed JSON with headers, groups, manual commits."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from core.errors import BrokerError
from streaming.embedded_broker import EmbeddedBroker, broker_binary, port_accepts
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from streaming.topics import ensure_topics


def _consume(consumer: KafkaConsumer, want: int, timeout: float = 30.0) -> list[Any]:
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(records) < want and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    return records


def test_keyed_json_with_headers_and_group_resume(
    kafka_settings: KafkaSettings, unique_name: Callable[[str], str]
) -> None:
    topic, group = unique_name("roundtrip"), unique_name("group")
    assert ensure_topics(kafka_settings, [topic], partitions=2) == [topic]
    assert ensure_topics(kafka_settings, [topic], partitions=2) == []

    producer = KafkaProducer(**kafka_settings.client_kwargs(), acks="all")
    for i in range(10):
        producer.send(
            topic,
            key=f"id-{i}".encode(),
            value=json.dumps({"event_id": f"id-{i}", "n": i}).encode(),
            headers=[("source", b"test"), ("seq", str(i).encode())],
        )
    producer.flush()
    producer.close()

    first = KafkaConsumer(topic, **consumer_kwargs(kafka_settings, group, max_poll_records=4))
    got = _consume(first, 4)
    # Commit exactly what was processed, per partition: the next offset to read.
    processed = got[:4]
    offsets: dict[TopicPartition, int] = {}
    for record in processed:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        assert record.key == json.loads(record.value)["event_id"].encode()
        assert dict(record.headers)["source"] == b"test"
    first.commit({tp: _offset_and_metadata(off) for tp, off in offsets.items()})
    first.close()

    second = KafkaConsumer(topic, **consumer_kwargs(kafka_settings, group))
    rest = _consume(second, 10 - len(processed))
    second.close()
    seen = {json.loads(r.value)["n"] for r in processed} | {json.loads(r.value)["n"] for r in rest}
    assert len(rest) == 10 - len(processed), "the second consumer must resume after the committed offsets"
    assert seen == set(range(10))


def _offset_and_metadata(offset: int) -> Any:
    from kafka.structs import OffsetAndMetadata

    return OffsetAndMetadata(offset, "", -1)


def test_second_broker_on_busy_port_is_refused(broker: EmbeddedBroker) -> None:
    assert port_accepts(broker.host, broker.port or 0)
    with pytest.raises(BrokerError, match="already in use"):
        EmbeddedBroker(port=broker.port).start()
    assert port_accepts(broker.host, broker.port or 0)


def test_broker_pid_is_its_process_while_it_runs() -> None:
    broker = EmbeddedBroker().start()
    try:
        assert broker.pid is not None
        assert Path(f"/proc/{broker.pid}/exe").resolve() == broker_binary().resolve()
    finally:
        broker.stop()
    assert broker.pid is None


def test_broker_command_runs_in_foreground_and_stops_on_sigterm(
    console_script: Callable[[str], Path],
) -> None:
    from streaming.embedded_broker import free_port

    port = free_port()
    with subprocess.Popen(
        [str(console_script("ticket-router")), "broker", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            line = process.stdout.readline() if process.stdout else ""
            assert f"127.0.0.1:{port}" in line
            assert port_accepts("127.0.0.1", port)
            process.terminate()
            assert process.wait(timeout=10) == 0
            deadline = time.monotonic() + 5
            while port_accepts("127.0.0.1", port) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not port_accepts("127.0.0.1", port), "the broker must stop with the command"
        finally:
            process.kill()
