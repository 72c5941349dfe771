"""``ticket-router demo``: broker, router, sample traffic and a summary, in one command."""

from __future__ import annotations

import argparse
import logging
import random
from pathlib import Path
from typing import Any

from service.cli_base import positive_int
from service.paths import default_data_dir


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="run the router on sample traffic through an embedded broker and print a summary",
        description="Start an embedded broker, create the topics, run `ticket-router serve` on the registry's "
        "current model, stream a mix of complaints and social posts (with a few malformed events), read every "
        "routed and dead-lettered event back and print a summary. Everything is stopped at the end.",
    )
    parser.add_argument("--events", type=Path, help="JSONL file of events to send (default: sampled from the data)")
    parser.add_argument(
        "-n", "--count", type=positive_int, default=2000, help="events to sample from the data (default: 2000)"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data folder (default: ../shared/data)")
    parser.add_argument("--no-malformed", action="store_true", help="do not mix malformed events in")
    parser.add_argument("--seed", type=int, default=7, help="sampling seed (default: 7)")
    parser.add_argument("--model", type=Path, help="serve this bundle instead of the registry's current one")
    parser.set_defaults(handler=_run)


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - the demo talks to its user


def _run(args: argparse.Namespace) -> int:
    if args.log_level is None:
        logging.getLogger().setLevel(logging.WARNING)  # the demo narrates itself; logs only for problems
    from service.demo import run_demo, summarize
    from service.demo_traffic import EXAMPLES, build_traffic, load_events_file, sample_shared_events

    data_dir = args.data_dir or default_data_dir()
    if args.events:
        events, source = load_events_file(args.events), str(args.events)
    elif (data_dir / "taxonomy.csv").is_file():
        events = sample_shared_events(data_dir, args.count, random.Random(args.seed))  # noqa: S311 - sampling
        source = f"sampled from {data_dir}"
    else:
        events, source = load_events_file(EXAMPLES), f"bundled examples ({EXAMPLES.name}; no data at {data_dir})"
    messages = build_traffic(events, "tickets.complaints", "tickets.social", not args.no_malformed, args.seed)
    _say(f"ticket-router demo: {len(messages)} events, {source}")
    env = {"TICKET_ROUTER_MODEL_PATH": str(args.model.resolve())} if args.model else {}
    outcome = run_demo(messages, env, _say)
    _say(summarize(messages, outcome))
    return 0
