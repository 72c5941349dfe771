"""One vs two router processes in one consumer group on the same topic (4 partitions), same events.

Run inside the project's environment: ``.venv/bin/python benchmarks/scaling.py [--events N] [--kind short|long]``.
Prints one JSON object. On a 2-core machine two replicas share the same cores as one: report it as measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import OutputCollector, event_bytes, load_texts, producer, routers, stack  # noqa: E402


def routed_rate(replicas: int, texts: list[str], kind: str) -> float:
    """Events/s with ``replicas`` routers: events are produced first, then the routers drain them."""
    with stack(partitions=4) as s:
        send = producer(s.kafka)
        for i, text in enumerate(texts):
            send.send(s.input_topic, key=f"b{i}".encode(), value=event_bytes(f"b{i}", text, kind))
        send.flush()
        send.close()
        collector = OutputCollector(s)
        start = time.time()
        with routers(s, replicas):
            # Readiness (model load, group join) is not routing time: measure from the first output on.
            collector.collect(1, timeout_s=300)
            start = min(collector.timestamps.values(), default=start * 1000) / 1000
            collector.collect(len(texts), timeout_s=600)
        last = max(collector.timestamps.values(), default=start * 1000) / 1000
        count = collector.count
        collector.close()
    return count / max(1e-9, last - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events per run (default 20000)")
    parser.add_argument("--kind", choices=["short", "long"], default="short", help="message kind (default short)")
    args = parser.parse_args()
    texts = load_texts(args.kind, args.events)
    one = routed_rate(1, texts, args.kind)
    two = routed_rate(2, texts, args.kind)
    result = {
        "kind": args.kind,
        "events": args.events,
        "one_router_events_per_s": one,
        "two_routers_events_per_s": two,
        "speedup": two / one,
    }
    print(json.dumps(result, indent=2, sort_keys=True))  # noqa: T201


if __name__ == "__main__":
    main()
