"""``ticket-router redrive`` on the embedded broker: filters, dry run, fixed records routed, the loop guard."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

from schemas.outputs import DeadLetter
from service.routing import REDRIVE_COUNT_HEADER
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from tests.integration.router_process import OutputReader, RouterProcess, complaint, make_topics, produce

pytestmark = pytest.mark.slow


def end_offsets(kafka: KafkaSettings, topic: str) -> dict[int, int]:
    consumer: Any = KafkaConsumer(**consumer_kwargs(kafka, None))
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def dead_letters(reader: OutputReader) -> list[tuple[DeadLetter, dict[str, bytes]]]:
    return [
        (DeadLetter.model_validate_json(r.value), dict(r.headers))
        for r in reader.records
        if r.topic == reader.topics.dlq
    ]


def test_redrive_with_filters_routes_the_fixed_records_and_stops_loops(
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: Callable[..., RouterProcess],
    tiny_bundle: Path,
    console_script: Callable[[str], Path],
) -> None:
    topics = make_topics(kafka_settings, unique_name)
    group = unique_name("g")
    env = {**topics.env(), "TICKET_ROUTER_GROUP_ID": group, "TICKET_ROUTER_MODEL_PATH": str(tiny_bundle)}
    narrow = start_router({**env, "TICKET_ROUTER_MAX_MESSAGE_BYTES": "1024"}, name="narrow")
    narrow.wait_ready()
    long_text = "my credit card was charged twice for one purchase " * 30
    produce(
        kafka_settings,
        [(topics.complaints, f"big-{i}".encode(), complaint(f"big-{i}", long_text)) for i in range(3)]
        + [(topics.social, f"js-{i}".encode(), b'{"kind": "social", "event_id": ') for i in range(2)]
        + [
            (topics.complaints, f"sc-{i}".encode(), json.dumps({"kind": "complaint", "event_id": f"sc-{i}"}).encode())
            for i in range(2)
        ]
        + [(topics.complaints, b"ok-0", complaint("ok-0", "my mortgage payment was not applied"))],
    )
    reader = OutputReader(kafka_settings, topics)
    reader.read_until(8)
    reasons = Counter(letter.reason for letter, _ in dead_letters(reader))
    assert reasons == {"oversized": 3, "invalid_json": 2, "schema_error": 2}
    assert narrow.terminate() == 0

    # The contract is widened (larger records accepted): the router restarts with its default limit.
    router = start_router(env, name="wide")
    router.wait_ready()
    script = console_script("ticket-router")
    redrive_env = {
        **os.environ,
        "TICKET_ROUTER_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "TICKET_ROUTER_GROUP_ID": group,
        "TICKET_ROUTER_DLQ_TOPIC": topics.dlq,
    }

    def redrive(*args: str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
        result = subprocess.run(
            [str(script), "redrive", *args], env=redrive_env, capture_output=True, text=True, timeout=180, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        *lines, summary = [json.loads(line) for line in result.stdout.splitlines()]
        return summary, lines, result.stderr

    selection = ["--reason", "oversized", "--event-id", "big-0", "--event-id", "big-1"]
    before = end_offsets(kafka_settings, topics.complaints)
    summary, lines, _ = redrive(*selection, "--dry-run")
    assert summary["dry_run"] and summary["redriven"] == 2 and summary["passed_over"] == 5 and summary["read"] == 7
    assert sorted(line["key"] for line in lines) == ["big-0", "big-1"]
    assert {line["to_topic"] for line in lines} == {topics.complaints}
    assert end_offsets(kafka_settings, topics.complaints) == before, "a dry run sends nothing"

    summary, _, progress = redrive(*selection, "--source-topic", topics.complaints, "--since", "1h")
    assert summary["redriven"] == 2 and summary["redriven_to"] == {topics.complaints: 2}
    assert summary["refused"] == {"max_redrives": 0, "truncated": 0, "not_a_dead_letter": 0}
    assert "redrive: read 7 of up to" in progress
    reader.read_until(10)
    routed = [json.loads(r.value)["event"]["event_id"] for r in reader.records if r.topic != topics.dlq]
    assert Counter(routed) == {"ok-0": 1, "big-0": 1, "big-1": 1}, "the fixed records are routed, once"

    # Invalid JSON cannot be fixed by the router: redriven once, it comes back carrying its count ...
    summary, _, _ = redrive("--reason", "invalid_json", "--max-redrives", "1")
    assert summary["redriven"] == 2 and summary["redriven_to"] == {topics.social: 2}
    reader.read_until(12)
    again = [headers for letter, headers in dead_letters(reader) if letter.reason == "invalid_json"]
    assert sorted(h.get(REDRIVE_COUNT_HEADER, b"0") for h in again) == [b"0", b"0", b"1", b"1"]
    # ... and the loop guard refuses it; the same selection only reads the dead letters that came since.
    summary, _, _ = redrive("--reason", "invalid_json", "--max-redrives", "1")
    assert summary["read"] == 2 and summary["redriven"] == 0 and summary["refused"]["max_redrives"] == 2
    assert router.process.poll() is None
    reader.close()
