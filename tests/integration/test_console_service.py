"""The real ``ticket-console serve`` against the embedded broker, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from schemas.feedback import Feedback
from schemas.outputs import RoutedEvent
from streaming.embedded_broker import EmbeddedBroker
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from streaming.topics import ensure_topics
from tests.console_fakes import triage_event
from tests.integration.console_process import ConsoleProcess
from tests.integration.postgres import PostgresServer, postgres_bindir
from tests.integration.router_process import http_get, metric_value, produce, wait_for


@pytest.fixture
def topics(kafka_settings: KafkaSettings, unique_name: Callable[[str], str]) -> dict[str, str]:
    tag = unique_name("c")
    names = {"triage": f"{tag}.routed.triage", "prefix": f"{tag}.routed.", "feedback": f"{tag}.feedback"}
    ensure_topics(kafka_settings, [names["triage"], f"{tag}.routed.payments", names["feedback"]], partitions=2)
    return names


@pytest.fixture
def start_console(
    broker: EmbeddedBroker,
    topics: dict[str, str],
    database_url: str,
    tmp_path: Path,
    console_script: Callable[[str], Path],
    unique_name: Callable[[str], str],
) -> Iterator[Callable[[str], ConsoleProcess]]:
    """Start ``ticket-console serve`` processes on the test's topics, database and consumer group."""
    env = {
        "TICKET_CONSOLE_TRIAGE_TOPIC": topics["triage"],
        "TICKET_CONSOLE_ROUTED_TOPIC_PREFIX": topics["prefix"],
        "TICKET_CONSOLE_FEEDBACK_TOPIC": topics["feedback"],
        "TICKET_CONSOLE_GROUP_ID": unique_name("console"),
        "TICKET_CONSOLE_DATABASE_URL": database_url,
    }
    started: list[ConsoleProcess] = []

    def start(name: str) -> ConsoleProcess:
        process = ConsoleProcess(console_script("ticket-console"), broker.bootstrap, env, tmp_path / f"{name}.log")
        started.append(process)
        process.wait_ready()
        return process

    yield start
    for process in started:
        process.kill()


@pytest.fixture
def console(start_console: Callable[[str], ConsoleProcess]) -> ConsoleProcess:
    return start_console("console")


def read_all(kafka: KafkaSettings, topic: str, count: int) -> list[Any]:
    """At least ``count`` committed records of ``topic``, from the beginning."""
    reader = KafkaConsumer(topic, **consumer_kwargs(kafka, None, isolation_level="read_committed"))
    records: list[Any] = []

    def enough() -> bool:
        records.extend(r for batch in reader.poll(timeout_ms=300).values() for r in batch)
        return len(records) >= count

    try:
        wait_for(enough, 60, f"{count} records on {topic}")
    finally:
        reader.close()
    return records


def test_triage_events_become_items_once_and_decisions_reach_kafka(
    console: ConsoleProcess, kafka_settings: KafkaSettings, topics: dict[str, str]
) -> None:
    events = [triage_event(f"e-{i}", priority="urgent" if i == 3 else "normal") for i in range(6)]
    junk = [b"not json", b"\xff\xfe", b"", json.dumps({"department": "triage"}).encode()]
    records = [(topics["triage"], e.event.event_id.encode(), e.model_dump_json().encode()) for e in events]
    records += [(topics["triage"], b"junk", value) for value in junk]
    records += records[:6]  # every event delivered twice
    produce(kafka_settings, records)

    wait_for(lambda: len(console.open_ids()) == 6, 60, "six items")
    assert console.open_ids()[0] == "e-3"  # urgent first
    metrics = console.metrics()
    wait_for(lambda: metric_value(console.metrics(), "ticket_console_records_refused_total") == 4, 30, "refusals")
    assert metric_value(metrics, "ticket_console_items_ingested_total", outcome="new") == 6

    status, resolution = console.call("POST", "/api/items/e-0/resolve", {"department": "payments", "note": "transfer"})
    assert status == 200 and resolution["published"] and resolution["agent"] == "alice"
    status, loser = console.call("POST", "/api/items/e-0/resolve", {"department": "loans"}, agent="bob")
    assert status == 409 and loser["resolution"]["agent"] == "alice"
    status, _ = console.call("POST", "/api/items/e-1/resolve", {"department": "not_banking"})
    assert status == 200

    (routed_record,) = read_all(kafka_settings, f"{topics['prefix']}payments", 1)
    routed = RoutedEvent.model_validate_json(routed_record.value)
    assert routed.event.event_id == "e-0" and routed.reason == "agent" and routed.agent == "alice"
    assert routed.suggested is not None and routed.suggested.department == "cards"
    corrections = [Feedback.model_validate_json(r.value) for r in read_all(kafka_settings, topics["feedback"], 2)]
    assert sorted((f.ticket_id, f.correct_department) for f in corrections) == [("e-0", "payments"), ("e-1", "triage")]
    assert sorted(console.open_ids()) == ["e-2", "e-3", "e-4", "e-5"]
    assert console.call("GET", "/api/items", agent=None)[0] == 401
    assert "ticket_console_resolutions_total" in console.metrics()
    assert console.terminate() == 0


def test_items_survive_a_restart_and_offsets_are_not_read_twice(
    start_console: Callable[[str], ConsoleProcess], kafka_settings: KafkaSettings, topics: dict[str, str]
) -> None:
    first = start_console("first")
    produce(kafka_settings, [(topics["triage"], b"e-1", triage_event("e-1").model_dump_json().encode())])
    wait_for(lambda: first.open_ids() == ["e-1"], 60, "the item")
    assert first.terminate() == 0
    again = start_console("again")
    produce(kafka_settings, [(topics["triage"], b"e-2", triage_event("e-2").model_dump_json().encode())])
    wait_for(lambda: sorted(again.open_ids()) == ["e-1", "e-2"], 60, "both items")
    assert metric_value(again.metrics(), "ticket_console_items_ingested_total", outcome="new") == 1
    assert metric_value(again.metrics(), "ticket_console_items_ingested_total", outcome="duplicate") == 0


def test_a_database_outage_loses_nothing(
    broker: EmbeddedBroker,
    kafka_settings: KafkaSettings,
    topics: dict[str, str],
    tmp_path: Path,
    console_script: Callable[[str], Path],
    unique_name: Callable[[str], str],
) -> None:
    """Offsets are committed only after the items are stored: what arrives while the database is away is
    stored once it is back, without a restart."""
    bindir = postgres_bindir()
    assert bindir is not None, "PostgreSQL is not installed (apt-get install postgresql)"
    with PostgresServer(bindir) as server:
        env = {
            "TICKET_CONSOLE_TRIAGE_TOPIC": topics["triage"],
            "TICKET_CONSOLE_FEEDBACK_TOPIC": topics["feedback"],
            "TICKET_CONSOLE_GROUP_ID": unique_name("console"),
            "TICKET_CONSOLE_DATABASE_URL": server.create_database(),
        }
        console = ConsoleProcess(console_script("ticket-console"), broker.bootstrap, env, tmp_path / "outage.log")
        try:
            console.wait_ready()
            produce(kafka_settings, [(topics["triage"], b"e-1", triage_event("e-1").model_dump_json().encode())])
            wait_for(lambda: console.open_ids() == ["e-1"], 60, "the first item")
            server.stop()
            events = [triage_event(f"e-{i}") for i in range(2, 12)]
            produce(kafka_settings, [(topics["triage"], b"k", e.model_dump_json().encode()) for e in events])
            wait_for(lambda: "database unreachable" in console.log(), 60, "the consumer to notice the outage")
            assert http_get(console.port, "/readyz")[0] == 503
            assert http_get(console.port, "/healthz")[0] == 200  # alive: it waits for the database
            server.start()
            wait_for(lambda: len(console.open_ids()) == 11, 90, "every item after the outage")
            assert metric_value(console.metrics(), "ticket_console_items_ingested_total", outcome="new") == 11
        finally:
            console.kill()
