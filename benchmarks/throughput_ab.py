"""Two router set-ups side by side: backlog throughput and the routers' CPU per event, measured alternately in one run.

*Before* and *after* differ by environment (``--before-env``/``--after-env KEY=VALUE``, e.g. the allocator) and,
with ``--base DIR``, by code: before then runs the checkout in DIR (``git archive <commit> | tar -x -C DIR``)
serving that checkout's current bundle, after this code serving the registry's current bundle or
``--after-model``. Both sides use ``benchmarks.harness.backlog_rate``: real routers (one per core), a burst of
events, the routers' own rate on what is left after it. Rounds alternate the order (before/after,
after/before, ...) so a machine shared with other work loads both sides alike; the ratio of the medians is the
figure, beside the routers' CPU time per event (less sensitive to what else runs on the machine).

Run inside the project's environment, e.g.
``.venv/bin/python benchmarks/throughput_ab.py --before-env TICKET_ROUTER_ALLOCATOR=system`` (jemalloc's cost) or
``.venv/bin/python benchmarks/throughput_ab.py --base DIR`` (what the code since DIR costs).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import backlog_rate, load_texts, say  # noqa: E402
from classifier.registry import ModelRegistry  # noqa: E402
from core.errors import TicketRouterError  # noqa: E402
from core.paths import default_classifier_registry  # noqa: E402


def _backlog(kind: str, texts: list[str], routers: int, env: dict[str, str]) -> dict[str, float]:
    """One backlog run; tried once more when the routers were not ready in time (a machine busy elsewhere)."""
    try:
        return backlog_rate(kind, texts, routers, env)
    except TicketRouterError as exc:
        say(f"{exc}; once more")
        return backlog_rate(kind, texts, routers, env)


def environment(parser: argparse.ArgumentParser, pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict; a usage error for any other form."""
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            parser.error(f"expected KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def main() -> None:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, help="checkout whose code and bundle run before (default: this code)")
    parser.add_argument("--before-env", action="append", default=[], metavar="KEY=VALUE", help="routers' env before")
    parser.add_argument("--after-env", action="append", default=[], metavar="KEY=VALUE", help="routers' env after")
    parser.add_argument("--short", type=int, default=20_000, help="short social-style events (default 20000)")
    parser.add_argument("--long", type=int, default=4_000, help="long complaint narratives (default 4000)")
    parser.add_argument("--after-model", type=Path, help="bundle served after (default: the registry's current)")
    parser.add_argument("--rounds", type=int, default=2, help="before/after pairs per kind (default 2)")
    parser.add_argument("--routers", type=int, default=cores, help=f"router processes (default {cores})")
    args = parser.parse_args()
    after_model = args.after_model or ModelRegistry(default_classifier_registry()).current_path()
    variants = {
        "before": {"TICKET_ROUTER_MODEL_PATH": str(after_model)} | environment(parser, args.before_env),
        "after": {"TICKET_ROUTER_MODEL_PATH": str(after_model)} | environment(parser, args.after_env),
    }
    if args.base is not None:
        base = args.base.resolve()
        base_model = ModelRegistry(base / "models" / "classifier").current_path()
        variants["before"] |= {"PYTHONPATH": str(base), "TICKET_ROUTER_MODEL_PATH": str(base_model)}
    result: dict[str, object] = {"routers": args.routers, "variants": variants}
    for kind, n in (("short", args.short), ("long", args.long)):
        texts = load_texts(kind, n)
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for i in range(args.rounds):
            for name in ("before", "after") if i % 2 == 0 else ("after", "before"):
                say(f"{kind} round {i + 1}: {name}")
                runs[name].append(_backlog(kind, texts, args.routers, variants[name]))
        rate = {k: statistics.median(r["events_per_s"] for r in v) for k, v in runs.items()}
        cpu = {k: statistics.median(r["routers_cpu_us_per_event"] for r in v) for k, v in runs.items()}
        result[kind] = {
            "events": n,
            **{f"{k}_events_per_s": [round(r["events_per_s"]) for r in v] for k, v in runs.items()},
            **{
                f"{k}_routers_cpu_us_per_event": [round(r["routers_cpu_us_per_event"]) for r in v]
                for k, v in runs.items()
            },
            "ratio_after_to_before": round(rate["after"] / rate["before"], 3),
            "cost_pct": round(100 * (1 - rate["after"] / rate["before"]), 1),
            "routers_cpu_cost_pct": round(100 * (cpu["after"] / cpu["before"] - 1), 1),
        }
    print(json.dumps(result, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
