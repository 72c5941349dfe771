"""One vs two router processes in one consumer group on the same topic (4 partitions), same events.

Run inside the project's environment: ``.venv/bin/python benchmarks/scaling.py [--events N] [--kind short|long]``.
Prints one JSON object. Each figure is a backlog rate (``harness.backlog_rate``): routers started and joined
first, events produced in one burst, the rate counted on what is routed after it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import backlog_rate, load_texts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events per run (default 20000)")
    parser.add_argument("--kind", choices=["short", "long"], default="short", help="message kind (default short)")
    args = parser.parse_args()
    texts = load_texts(args.kind, args.events)
    one = backlog_rate(args.kind, texts, 1)["events_per_s"]
    two = backlog_rate(args.kind, texts, 2)["events_per_s"]
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
