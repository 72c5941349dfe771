"""``ticket-router demo``: broker, router, sample traffic and a summary, in one command."""

from __future__ import annotations

import argparse
import logging
import random
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli import Subparsers, positive_int
from core.paths import default_data_dir

if TYPE_CHECKING:  # the demo's modules bring in Kafka: imported when the command runs
    from service.demo import DemoOutcome
    from service.demo_traffic import DemoMessage


def register(subparsers: Subparsers) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="run the router on sample traffic through an embedded broker and print a summary",
        description="Start an embedded broker, create the topics, run `ticket-router serve` on the registry's "
        "current model and the triage console, stream a mix of complaints and social posts (with a few malformed "
        "events), read every routed and dead-lettered event back and print a summary with the console's URL. "
        "Everything is stopped at the end (with --keep-running: at Ctrl-C).",
    )
    parser.add_argument("--events", type=Path, help="JSONL file of events to send (default: sampled from the data)")
    parser.add_argument(
        "-n", "--count", type=positive_int, default=2000, help="events to sample from the data (default: 2000)"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data folder (default: ../shared/data)")
    parser.add_argument("--no-malformed", action="store_true", help="do not mix malformed events in")
    parser.add_argument("--seed", type=int, default=7, help="sampling seed (default: 7)")
    parser.add_argument("--model", type=Path, help="serve this bundle instead of the registry's current one")
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="after the summary, leave the broker, router and triage console up until Ctrl-C (to click through)",
    )
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
    hold = _hold(messages) if args.keep_running else None
    outcome = run_demo(messages, env, _say, hold=hold)
    if hold is None:
        _say(summarize(messages, outcome))
    return 0


def _hold(messages: list[DemoMessage]) -> Callable[[DemoOutcome], None]:
    """Print the summary, then wait for Ctrl-C with everything still running."""

    def hold(outcome: DemoOutcome) -> None:
        from service.demo import summarize

        _say(summarize(messages, outcome))
        _say(f"\nEverything keeps running: open {outcome.console_url} to work the triage queue. Ctrl-C stops it all.")
        stop = threading.Event()
        # Own handlers: a demo started as a script's background job inherits SIGINT ignored; Ctrl-C must still work.
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not stop.wait(1.0):
                pass
            _say("stopping ...")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    return hold
