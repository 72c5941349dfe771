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
from pathlib import Path
from typing import TYPE_CHECKING

from kafka import KafkaConsumer, KafkaProducer

from core.paths import default_data_dir
from schemas.common import DEPARTMENTS
from service.demo import router_command, wait_ready
from streaming.embedded_broker import EmbeddedBroker, free_port
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from streaming.topics import ensure_topics

if TYPE_CHECKING:
    from classifier.bundle import BundleClassifier


def say(text: str) -> None:
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads; Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def model_ceiling(classifier: BundleClassifier, texts: list[str], batch: int = 256) -> tuple[float, float]:
    """Events/s of batched inference alone (cleaning included), the best a router could do, and the CPU
    µs it spends per event (all threads)."""
    predict = classifier.predict
    predict(texts[:batch])  # warm up the traced function
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch):
        predict(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - start), (time.process_time() - cpu) * 1e6 / len(texts)


@dataclass
class Stack:
    """A running broker with a fresh topic set."""

    kafka: KafkaSettings
    tag: str
    broker_pid: int | None = None
    """The embedded broker's process (None on an external Kafka)."""

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
        broker_pid = None
        if bootstrap is None:
            broker = resources.enter_context(EmbeddedBroker())
            bootstrap, broker_pid = broker.bootstrap, broker.pid
        s = Stack(KafkaSettings(bootstrap_servers=bootstrap), f"bench-{uuid.uuid4().hex[:8]}", broker_pid)
        ensure_topics(s.kafka, [s.input_topic, *s.outputs], partitions=partitions)
        yield s


@dataclass(frozen=True)
class Replica:
    """A running router process: its HTTP port and process id."""

    port: int
    pid: int


@contextmanager
def routers(s: Stack, count: int = 1, extra_env: dict[str, str] | None = None) -> Iterator[list[Replica]]:
    """``count`` real ``ticket-router serve`` processes in one group, ready when yielded."""
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
            wait_ready(proc, port, timeout_s=180, say=say)
        yield [Replica(port, proc.pid) for proc, port in procs]
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


def producer(kafka: KafkaSettings, linger_ms: int = 5) -> KafkaProducer:
    """A fast producer for load generation; a longer linger means fewer, larger batches."""
    return KafkaProducer(**kafka.client_kwargs(), acks=1, linger_ms=linger_ms, batch_size=512 * 1024)


def backlog_rate(
    kind: str,
    texts: list[str],
    replicas: int,
    extra_env: dict[str, str] | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> dict[str, float]:
    """Routed events/s when the routers work off a backlog with the load generator idle, and the CPU µs
    per event the routers and the broker spent meanwhile.

    The routers start and join their group first (so no start-up or rebalance is counted); the events are
    then produced in one burst, and only what is routed after the burst's end counts, so no producer
    shares the CPU. ``extra_env`` goes to the routers; ``headers`` onto every event.
    """
    with stack() as s, routers(s, replicas, extra_env) as running:
        collector = OutputCollector(s)
        send = producer(s.kafka)
        for i, text in enumerate(texts):
            send.send(s.input_topic, key=f"d{i}".encode(), value=event_bytes(f"d{i}", text, kind), headers=headers)
        send.flush()
        send.close()
        pids = [r.pid for r in running], [s.broker_pid] if s.broker_pid else []
        since, before = time.time() * 1000, [sum(map(cpu_seconds, group)) for group in pids]
        collector.collect(len(texts), timeout_s=600)
        routers_cpu, broker_cpu = (sum(map(cpu_seconds, g)) - b for g, b in zip(pids, before, strict=True))
        collector.close()
    stamps = [t for t in collector.timestamps.values() if t >= since]
    if not stamps:
        raise SystemExit(f"the routers kept up with the producer: no {kind} backlog to measure; send more events")
    return {
        "events_per_s": len(stamps) / max(1e-3, (max(stamps) - since) / 1000),
        "backlog_events": len(stamps),
        "routers_cpu_us_per_event": routers_cpu * 1e6 / len(stamps),
        "broker_cpu_us_per_event": broker_cpu * 1e6 / len(stamps),
    }
