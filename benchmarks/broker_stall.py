"""How long the embedded broker keeps up with the router's Kafka traffic, without the router or its model.

Run inside the project's environment:
``.venv/bin/python benchmarks/broker_stall.py [--mode transactional] [--rate 400] [--minutes 10]``.
A producer sends small keyed records at a fixed rate (as the soak's load generator does) to an input topic;
a consumer in a group reads them with ``read_committed``. With ``--mode plain`` it only commits after each
poll; with ``transactional`` it does what the router does in its default exactly-once mode: each poll's
records go to nine output topics in one Kafka transaction with the input offsets; ``at_least_once``
produces, flushes, then commits. Every ``--report-seconds`` one JSON line says how many records were sent
and read, how many batches were handled and how long each took on average, and the broker's CPU seconds;
the run ends with a summary, or early with ``"stalled": true`` when nothing arrived for
``--stall-seconds`` while records were waiting. It needs no TensorFlow, so the broker's maintainers can
run it against any build of the broker with ``--bootstrap HOST:PORT``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.consumer.fetcher import ConsumerRecord  # noqa: E402
from kafka.structs import OffsetAndMetadata  # noqa: E402

from benchmarks.harness import cpu_seconds  # noqa: E402
from streaming.embedded_broker import EmbeddedBroker  # noqa: E402
from streaming.kafka_config import KafkaSettings  # noqa: E402
from streaming.topics import ensure_topics  # noqa: E402

TOPIC = "stall-probe"
OUTPUTS = [f"stall-probe.out{i}" for i in range(9)]


def produce(bootstrap: str, rate: int, total: int, linger_ms: int, sent: list[int], stop: threading.Event) -> None:
    """Send ``total`` records at ``rate`` per second; ``sent[0]`` counts them."""
    producer = KafkaProducer(bootstrap_servers=[bootstrap], acks=1, linger_ms=linger_ms, batch_size=512 * 1024)
    start = time.perf_counter()
    for i in range(total):
        if stop.is_set():
            break
        while (delay := start + i / rate - time.perf_counter()) > 0:
            time.sleep(min(delay, 0.002))
        producer.send(TOPIC, key=f"k{i}".encode(), value=b"x" * 300)
        sent[0] += 1
    producer.flush()
    producer.close()


def forward(mode: str, consumer: KafkaConsumer, producer: KafkaProducer | None, records: list[ConsumerRecord]) -> None:
    """Hand one poll's records on as the router would in ``mode`` (no producer: plain), and commit their offsets."""
    if mode == "plain" or producer is None:
        consumer.commit()
        return
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
    commit = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()}
    if mode == "transactional":
        producer.begin_transaction()
    for r in records:
        producer.send(OUTPUTS[hash(r.key) % len(OUTPUTS)], key=r.key, value=r.value)
    if mode == "transactional":
        producer.send_offsets_to_transaction(commit, consumer.group_metadata())
        producer.commit_transaction()
    else:
        producer.flush()
        consumer.commit(commit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["plain", "transactional", "at_least_once"], default="transactional")
    parser.add_argument("--rate", type=int, default=400, help="records per second (default 400)")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to produce (default 10)")
    parser.add_argument("--partitions", type=int, default=4, help="partitions of the topic (default 4)")
    parser.add_argument("--linger-ms", type=int, default=5, help="producer linger (default 5, as the soak)")
    parser.add_argument("--report-seconds", type=float, default=30.0, help="progress line period (default 30)")
    parser.add_argument("--stall-seconds", type=float, default=60.0, help="no record for this long: stalled")
    parser.add_argument(
        "--fetch-max-bytes", type=int, default=52_428_800, help="the consumer's fetch_max_bytes (kafka-python default)"
    )
    parser.add_argument("--bootstrap", help="a running broker (host:port) instead of the embedded one")
    args = parser.parse_args()
    if min(args.rate, args.minutes, args.partitions, args.report_seconds, args.stall_seconds) <= 0:
        parser.error("every number must be positive")

    total = int(args.rate * args.minutes * 60)
    with EmbeddedBroker() if args.bootstrap is None else _External(args.bootstrap) as broker:
        ensure_topics(KafkaSettings(bootstrap_servers=broker.bootstrap), [TOPIC, *OUTPUTS], partitions=args.partitions)
        sent, stop = [0], threading.Event()
        worker = threading.Thread(
            target=produce, args=(broker.bootstrap, args.rate, total, args.linger_ms, sent, stop), daemon=True
        )
        consumer = KafkaConsumer(
            TOPIC,
            bootstrap_servers=[broker.bootstrap],
            group_id="stall-probe",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            max_poll_records=1024,
            fetch_max_wait_ms=20,
            fetch_max_bytes=args.fetch_max_bytes,
        )
        producer: KafkaProducer | None = None
        if args.mode != "plain":
            transactional = {"transactional_id": "stall-probe"} if args.mode == "transactional" else {}
            producer = KafkaProducer(bootstrap_servers=[broker.bootstrap], acks="all", linger_ms=2, **transactional)
            if transactional:
                producer.init_transactions()
        worker.start()
        started = last_record = next_report = time.monotonic()
        received, batches, period_batches, period_s, stalled = 0, 0, 0, 0.0, False
        while received < total:
            records = [r for batch in consumer.poll(timeout_ms=20, max_records=1024).values() for r in batch]
            if records:
                handled_at = time.monotonic()
                forward(args.mode, consumer, producer, records)
                period_s += time.monotonic() - handled_at
                received, batches, period_batches = received + len(records), batches + 1, period_batches + 1
                last_record = time.monotonic()
            now = time.monotonic()
            if now >= next_report:
                line: dict[str, float | None] = {"seconds": round(now - started), "sent": sent[0], "received": received}
                line["batches"] = batches
                line["seconds_per_batch"] = round(period_s / period_batches, 4) if period_batches else None
                line["broker_cpu_s"] = cpu_seconds(broker.pid) if broker.pid else None
                print(json.dumps(line), flush=True)
                next_report, period_batches, period_s = now + args.report_seconds, 0, 0.0
            if now - last_record > args.stall_seconds and sent[0] > received:
                stalled = True
                break
        stop.set()
        consumer.close()
        if producer is not None:
            producer.close()
    summary = {"mode": args.mode, "rate": args.rate, "partitions": args.partitions, "linger_ms": args.linger_ms}
    summary.update(fetch_max_bytes=args.fetch_max_bytes, sent=sent[0], received=received, batches=batches)
    summary.update(stalled=stalled, seconds=round(time.monotonic() - started))
    print(json.dumps(summary))


class _External:
    """A broker that is already running (``--bootstrap``)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap, self.pid = bootstrap, None

    def __enter__(self) -> _External:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
