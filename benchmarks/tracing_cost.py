"""What tracing costs the router: backlog throughput and CPU per event with tracing off and on, alternated.

Run inside the project's environment: ``.venv/bin/python benchmarks/tracing_cost.py [--events 20000] [--rounds 2]``.
Every event carries a W3C ``traceparent`` header in both modes (same input). With tracing on, spans go over
OTLP/HTTP to a local sink that accepts and drops them, so serialisation and export are counted. Prints one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import backlog_rate, load_texts, say  # noqa: E402

TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class _Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that accepts every export and keeps only the byte count."""

    received = 0

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
        _Sink.received += len(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's signature
        return None


@contextmanager
def otlp_sink() -> Iterator[str]:
    """A local OTLP/HTTP endpoint for the duration of the block; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="short events per run (default 20000)")
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs (default 2)")
    parser.add_argument("--routers", type=int, default=1, help="router processes (default 1)")
    args = parser.parse_args()
    texts = load_texts("short", args.events)
    runs: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
    with otlp_sink() as endpoint:
        modes = {
            "off": {"TICKET_ROUTER_TRACING": "false"},
            "on": {
                "TICKET_ROUTER_TRACING": "true",
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            },
        }
        for round_number in range(args.rounds):
            for mode, env in modes.items():
                say(f"round {round_number + 1}: tracing {mode}")
                runs[mode].append(backlog_rate("short", texts, args.routers, env, [("traceparent", TRACEPARENT)]))
    result: dict[str, object] = {"events": args.events, "routers": args.routers, "runs": runs}
    rate = {mode: statistics.median(r["events_per_s"] for r in measured) for mode, measured in runs.items()}
    cpu = {mode: statistics.median(r["routers_cpu_us_per_event"] for r in measured) for mode, measured in runs.items()}
    for mode in runs:
        result[f"{mode}_events_per_s"] = rate[mode]
        result[f"{mode}_routers_cpu_us_per_event"] = cpu[mode]
    result["throughput_change_pct"] = 100 * (rate["on"] / rate["off"] - 1)
    result["cpu_per_event_change_pct"] = 100 * (cpu["on"] / cpu["off"] - 1)
    result["otlp_bytes_received"] = _Sink.received
    print(json.dumps(result, indent=2, sort_keys=True))  # noqa: T201


if __name__ == "__main__":
    main()
