"""Triage console benchmark: items ingested per second from routed.triage, and resolve latency through the API.

A real ``ticket-console serve`` on the embedded broker, with SQLite (default) or a throwaway PostgreSQL
cluster (``--postgres``, Debian's binaries). Prints JSON on stdout, progress on stderr.

    python -m benchmarks.console [--events 5000] [--resolves 500] [--postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import load_texts, percentile, say
from schemas.outputs import RoutedEvent
from streaming.embedded_broker import EmbeddedBroker
from streaming.kafka_config import KafkaSettings
from streaming.topics import ensure_topics
from tests.integration.console_process import ConsoleProcess
from tests.integration.postgres import PostgresServer, postgres_bindir
from tests.integration.router_process import produce, wait_for

DEPARTMENTS = ("cards", "payments", "accounts", "loans", "mortgages")


def triage_bytes(index: int, text: str, now: datetime) -> bytes:
    """One routed event on the triage topic, with three suggestions (as the router writes it)."""
    first = DEPARTMENTS[index % len(DEPARTMENTS)]
    others = [d for d in DEPARTMENTS if d != first][:2]
    return (
        RoutedEvent.model_validate(
            {
                "event": {"kind": "complaint", "event_id": f"bench-{index}", "text": text[:5000], "created_at": now},
                "department": "triage",
                "reason": "low_confidence",
                "label": f"bench:{first}",
                "confidence": 0.4,
                "suggested": {"label": f"bench:{first}", "department": first, "confidence": 0.4},
                "alternatives": [{"label": f"bench:{d}", "department": d, "confidence": 0.2} for d in others],
                "model_version": "bench",
                "routed_at": now + timedelta(milliseconds=5),
                "priority": "urgent" if index % 10 == 0 else "normal",
                "explanation": text.split()[:3],
            }
        )
        .model_dump_json()
        .encode()
    )


def run(events: int, resolves: int, database_url: str | None, database: str, work: Path) -> dict[str, object]:
    """Start broker and console, produce, time the ingest, then time resolves one by one."""
    with EmbeddedBroker() as broker:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap)
        ensure_topics(kafka, ["routed.triage", "tickets.feedback", *(f"routed.{d}" for d in DEPARTMENTS)], partitions=4)
        env = {
            "TICKET_CONSOLE_DATABASE_URL": database_url or f"sqlite:///{work / 'console.sqlite3'}",
            "LOG_LEVEL": "WARNING",
        }
        now = datetime.now(UTC)
        texts = load_texts("long", events)
        payloads = [("routed.triage", f"bench-{i}".encode(), triage_bytes(i, t, now)) for i, t in enumerate(texts)]
        say(f"producing {events} triage events before the console starts ...")
        produce(kafka, payloads)
        console = ConsoleProcess(
            Path(sys.executable).parent / "ticket-console", broker.bootstrap, env, work / "console.log"
        )
        try:
            console.wait_ready(timeout=60)
            counts: list[tuple[float, int]] = []

            def stored() -> int:
                counts.append((time.perf_counter(), console.call("GET", "/api/stats")[1]["open_items"]))
                return counts[-1][1]

            wait_for(lambda: stored() > 0, 120, "the first items", 0.05)
            wait_for(lambda: stored() >= events, 600, "every item", 0.25)
            started, first = next((t, c) for t, c in counts if c > 0)
            if first >= events:
                raise SystemExit("every item was stored before the first reading: use more --events")
            ingest_s = counts[-1][0] - started
            say(f"{events - first} items stored in {ingest_s:.2f}s; resolving {resolves} through the API ...")
            latencies = []
            for i in range(resolves):
                body = {"department": DEPARTMENTS[(i + 1) % len(DEPARTMENTS)], "note": "benchmark"}
                t0 = time.perf_counter()
                status, answer = console.call("POST", f"/api/items/bench-{i}/resolve", body)
                latencies.append(time.perf_counter() - t0)
                assert status == 200 and answer["published"], (status, answer)
            assert console.terminate() == 0
        finally:
            console.kill()
    return {
        "benchmark": "console",
        "database": database,
        "events": events,
        "ingest_s": round(ingest_s, 3),
        "items_ingested_per_s": round((events - first) / ingest_s, 1),
        "resolves": resolves,
        "resolve_ms_p50": round(percentile(latencies, 50) * 1000, 2),
        "resolve_ms_p99": round(percentile(latencies, 99) * 1000, 2),
        "resolve_ms_max": round(max(latencies) * 1000, 2),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "note": "one console process draining a backlog (timed from the first stored item to the last); the "
        "resolve time includes the database write and the Kafka transaction",
    }


def main() -> None:
    """Parse options, run once, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="triage events to ingest (default: 5000)")
    parser.add_argument("--resolves", type=int, default=500, help="items to resolve through the API (default: 500)")
    parser.add_argument("--postgres", action="store_true", help="use a throwaway PostgreSQL cluster instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="console-bench-") as folder, contextlib.ExitStack() as stack:
        url, database = None, "sqlite"
        if args.postgres:
            bindir = postgres_bindir()
            if bindir is None:
                raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
            url, database = stack.enter_context(PostgresServer(bindir, durable=True)).create_database(), "postgresql"
        result = run(args.events, min(args.resolves, args.events), url, database, Path(folder))
    print(json.dumps(result, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
