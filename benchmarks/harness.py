"""Shared benchmark plumbing: a broker, real router processes, paced producers and timestamped output reads."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from schemas.common import DEPARTMENTS
from service.broker import EmbeddedBroker, free_port
from service.demo import router_command, wait_ready
from service.kafka_config import KafkaSettings, consumer_kwargs
from service.paths import default_data_dir
from service.topics import ensure_topics


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)  # noqa: T201 - progress on stderr, JSON on stdout


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def load_texts(kind: str, n: int) -> list[str]:
    """``short``: Banking77/CLINC150 queries; ``long``: CFPB narratives; repeated to reach ``n``."""
    data = default_data_dir()
    csv.field_size_limit(10**8)
    if kind == "short":
        paths, column = [data / "banking77" / "train.csv", data / "clinc150" / "train_val.csv"], "text"
    else:
        paths, column = [data / "cfpb" / "complaints.csv"], "narrative"
    texts: list[str] = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            texts.extend(row[column] for row in csv.DictReader(handle))
    if not texts:
        raise SystemExit(f"no texts found under {data}")
    return [texts[i % len(texts)] for i in range(n)]


def event_bytes(event_id: str, text: str, kind: str) -> bytes:
    """A complaint (long) or social post (short) event."""
    now = "2026-11-24T12:00:00Z"
    if kind == "short":
        event = {
            "kind": "social",
            "event_id": event_id,
            "platform": "x",
            "author": "@bench",
            "text": text,
            "created_at": now,
        }
    else:
        event = {"kind": "complaint", "event_id": event_id, "text": text, "created_at": now}
    return json.dumps(event).encode()


@dataclass
class Stack:
    """A running broker with a fresh topic set."""

    kafka: KafkaSettings
    tag: str

    @property
    def input_topic(self) -> str:
        return f"{self.tag}.in"

    @property
    def outputs(self) -> list[str]:
        return [f"{self.tag}.routed.{d}" for d in DEPARTMENTS] + [f"{self.tag}.dlq"]

    def router_env(self) -> dict[str, str]:
        return {
            "TICKET_ROUTER_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "TICKET_ROUTER_INPUT_TOPICS": self.input_topic,
            "TICKET_ROUTER_ROUTED_TOPIC_PREFIX": f"{self.tag}.routed.",
            "TICKET_ROUTER_DLQ_TOPIC": f"{self.tag}.dlq",
            "TICKET_ROUTER_GROUP_ID": f"{self.tag}-group",
        }


@contextmanager
def stack(partitions: int = 4, bootstrap: str | None = None) -> Iterator[Stack]:
    """A fresh set of topics on an embedded broker, or on the Kafka at ``bootstrap`` when given."""
    with contextlib.ExitStack() as resources:
        if bootstrap is None:
            bootstrap = resources.enter_context(EmbeddedBroker()).bootstrap
        kafka = KafkaSettings(bootstrap_servers=bootstrap)
        s = Stack(kafka, f"bench-{uuid.uuid4().hex[:8]}")
        ensure_topics(kafka, [s.input_topic, *s.outputs], partitions=partitions)
        yield s


@contextmanager
def routers(s: Stack, count: int = 1, extra_env: dict[str, str] | None = None) -> Iterator[list[int]]:
    """``count`` real ``ticket-router serve`` processes in one group; yields their HTTP ports."""
    procs: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for _ in range(count):
            port = free_port()
            env = {
                **os.environ,
                **s.router_env(),
                "TICKET_ROUTER_HTTP_HOST": "127.0.0.1",
                "TICKET_ROUTER_HTTP_PORT": str(port),
                "LOG_LEVEL": "WARNING",
                **(extra_env or {}),
            }
            procs.append((subprocess.Popen([*router_command(), "serve"], env=env), port))  # noqa: S603
        for proc, port in procs:
            wait_ready(proc, port, timeout_s=180, say=_say)
        yield [port for _, port in procs]
    finally:
        for proc, _ in procs:
            proc.send_signal(signal.SIGTERM)
        for proc, _ in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


class OutputCollector:
    """Reads every output topic (read_committed) and keeps each record's broker timestamp and event id."""

    def __init__(self, s: Stack) -> None:
        self.consumer = KafkaConsumer(
            *s.outputs, **consumer_kwargs(s.kafka, None, isolation_level="read_committed", auto_offset_reset="latest")
        )
        # Join the partitions now so that nothing produced from here on is missed.
        while not self.consumer.assignment():
            self.consumer.poll(timeout_ms=100)
        for tp in self.consumer.assignment():
            self.consumer.position(tp)
        self.timestamps: dict[str, int] = {}
        self.count = 0

    def collect(self, want: int, timeout_s: float) -> None:
        """Read until ``want`` records in all were seen or ``timeout_s`` passed."""
        deadline = time.monotonic() + timeout_s
        while self.count < want and time.monotonic() < deadline:
            self.read(timeout_ms=200)

    def read(self, timeout_ms: int = 0) -> None:
        """One poll: whatever is there (waiting at most ``timeout_ms``)."""
        for batch in self.consumer.poll(timeout_ms=timeout_ms, max_records=10_000).values():
            for record in batch:
                self.count += 1
                self.timestamps[(record.key or b"").decode()] = record.timestamp

    def close(self) -> None:
        self.consumer.close()


def producer(kafka: KafkaSettings) -> Any:
    """A fast producer for load generation."""
    return KafkaProducer(**kafka.client_kwargs(), acks=1, linger_ms=5, batch_size=512 * 1024)
