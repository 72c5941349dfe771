"""Load and soak: minutes of mixed traffic through the real router while its memory is watched for leaks.

Run inside the project's environment: ``.venv/bin/python benchmarks/soak.py [--minutes 5] [--rate 400]``.
Short messages, complaint narratives and a share of malformed records are offered at a fixed rate; the
router's resident memory (``process_resident_memory_bytes`` on its /metrics) is sampled throughout. The
first half of the run is warm-up (the model's buffers and the allocator's pools grow in steps); the
second half is judged: a leak is suspected when the least-squares slope of its samples exceeds
``--max-slope-mb-per-hour`` (single samples swing by ±20 MB, a slope much less). Afterwards every produced
key is looked up in the outputs: routed + dead-lettered = produced, duplicates and lost are counted. Prints
one JSON object. The embedded broker slows down with every produce batch a partition holds
(``benchmarks/broker_stall.py``), so the load generator batches for ``--linger-ms``; ``--bootstrap HOST:PORT``
runs soaks on a real Kafka. ``--backlog-share 0.8`` first measures one router's backlog rate of short messages
and of narratives (``harness.backlog_rate``) and offers that share of the mix's rate instead of ``--rate``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402
    OutputCollector,
    backlog_rate,
    event_bytes,
    load_texts,
    producer,
    routers,
    say,
    stack,
)

MALFORMED = b'{"kind": "complaint", "event_id": "broken", "text": '


def router_figures(port: int) -> dict[str, float]:
    """Resident memory (MB) and events consumed, routed and dead-lettered, from the router's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310
        lines = response.read().decode().splitlines()
    figures = {"rss_mb": float("nan"), "consumed": 0.0, "routed": 0.0, "dead_lettered": 0.0}
    prefixes = {
        "process_resident_memory_bytes ": "rss_mb",
        "ticket_router_events_consumed_total{": "consumed",
        "ticket_router_events_routed_total{": "routed",
        "ticket_router_events_dead_lettered_total{": "dead_lettered",
    }
    for line in lines:
        for prefix, name in prefixes.items():
            if line.startswith(prefix):
                value = float(line.rsplit(" ", 1)[1])
                figures[name] = value / 2**20 if name == "rss_mb" else figures[name] + value
    return figures


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute; 0 with fewer than two samples."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return 0.0 if var == 0 else cov / var * 60


def mix_backlog_rate(long_every: int) -> dict[str, float]:
    """One router's backlog rate of each kind (as ``throughput.py`` sizes them), and of the soak's mix (every
    ``long_every``-th a narrative): the mix's time per event is the kinds' weighted by their shares."""
    rates = {
        kind: backlog_rate(kind, load_texts(kind, n), 1)["events_per_s"]
        for kind, n in (("short", 20_000), ("long", 4_000))
    }
    long_share = 1 / long_every
    return rates | {"mix": 1 / ((1 - long_share) / rates["short"] + long_share / rates["long"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="duration of the offered load (default 5)")
    parser.add_argument("--rate", type=int, default=400, help="offered events/s (default 400)")
    parser.add_argument(
        "--backlog-share",
        type=float,
        help="offer this share (0-1] of one router's measured backlog rate of the mix instead of --rate",
    )
    parser.add_argument("--long-every", type=int, default=5, help="every N-th event is a narrative (default 5)")
    parser.add_argument("--malformed-every", type=int, default=250, help="every N-th record is broken (default 250)")
    parser.add_argument("--sample-seconds", type=float, default=10.0, help="memory sampling period (default 10)")
    parser.add_argument(
        "--max-slope-mb-per-hour",
        type=float,
        default=10.0,
        help="allowed second-half memory slope (default 10)",
    )
    parser.add_argument("--delivery", choices=["exactly_once", "at_least_once"], default="exactly_once")
    parser.add_argument(
        "--linger-ms",
        type=int,
        default=1000,
        help="the load generator's linger (default 1000: the embedded broker slows with every produce batch)",
    )
    parser.add_argument(
        "--bootstrap", help="a running Kafka (host:port) instead of the embedded broker, for soaks past its limit"
    )
    args = parser.parse_args()
    if args.minutes <= 0 or args.rate <= 0 or args.sample_seconds <= 0:
        parser.error("--minutes, --rate and --sample-seconds must be positive")
    if args.backlog_share is not None and not 0 < args.backlog_share <= 1:
        parser.error("--backlog-share must be in (0, 1]")

    short, long = load_texts("short", 20_000), load_texts("long", 2_000)
    backlog: dict[str, float] = {}
    if args.backlog_share is not None:
        say("measuring one router's backlog rate of short messages and narratives")
        backlog = mix_backlog_rate(args.long_every)
        args.rate = max(1, round(args.backlog_share * backlog["mix"]))
        say(f"backlog rate of the mix {backlog['mix']:.0f} events/s: offering {args.rate} events/s")
    total = int(args.minutes * 60 * args.rate)
    samples: list[tuple[float, float]] = []
    with stack(bootstrap=args.bootstrap) as s, routers(s, 1, {"TICKET_ROUTER_DELIVERY": args.delivery}) as (replica,):
        collector = OutputCollector(s)
        send = producer(s.kafka, args.linger_ms)
        start = time.perf_counter()
        next_sample = start
        for i in range(total):
            due = start + i / args.rate
            while (delay := due - time.perf_counter()) > 0:
                time.sleep(min(delay, 0.002))
            now = time.perf_counter()
            if i % 100 == 0:
                collector.read()  # outputs are read as they come, as a department's consumer would
            if now >= next_sample:
                figures = router_figures(replica.port)
                samples.append((now - start, figures["rss_mb"]))
                next_sample += args.sample_seconds
                print(  # noqa: T201
                    f"{now - start:6.0f}s {i:>8} sent {figures['consumed']:>8.0f} consumed {figures['rss_mb']:7.1f} MB",
                    file=sys.stderr,
                    flush=True,
                )
            key = f"s{i}"
            if i % args.malformed_every == args.malformed_every - 1:
                value = MALFORMED
            elif i % args.long_every == 0:
                value = event_bytes(key, long[i % len(long)], "long")
            else:
                value = event_bytes(key, short[i % len(short)], "short")
            send.send(s.input_topic, key=key.encode(), value=value)
        send.flush()
        offered_s = time.perf_counter() - start
        deadline = time.monotonic() + 600
        while (figures := router_figures(replica.port))["consumed"] < total and time.monotonic() < deadline:
            time.sleep(1)  # the router catches up on its backlog, if it has one
        caught_up_s = time.perf_counter() - start
        collector.collect(total, timeout_s=300)
        samples.append((time.perf_counter() - start, figures["rss_mb"]))
        keys = set(collector.timestamps)
        collector.close()
        send.close()

    half = [(t, m) for t, m in samples if t >= offered_s / 2]
    baseline = half[0][1] if half else float("nan")
    growth = max(m for _, m in half) - baseline if half else float("nan")
    slope_per_min = slope_per_minute(half)
    produced = {f"s{i}" for i in range(total)}
    result = {
        "minutes": args.minutes,
        "delivery": args.delivery,
        "linger_ms": args.linger_ms,
        "offered_rate": args.rate,
        "backlog_share": args.backlog_share,
        "backlog_events_per_s": {k: round(v) for k, v in backlog.items()},
        "achieved_rate": total / offered_s,
        "produced": total,
        "outputs": collector.count,
        "malformed_produced": total // args.malformed_every,
        "router_consumed": figures["consumed"],
        "router_routed": figures["routed"],
        "router_dead_lettered": figures["dead_lettered"],
        "router_backlog_cleared_after_s": caught_up_s - offered_s,
        "duplicates": collector.count - len(keys),
        "lost": len(produced - keys),
        "lost_sample": sorted(produced - keys, key=lambda k: int(k[1:]))[:5],
        "rss_mb_at_half_time": baseline,
        "rss_mb_end": samples[-1][1],
        "rss_growth_mb_second_half": growth,
        "rss_slope_mb_per_min_second_half": slope_per_min,
        "rss_slope_mb_per_hour_second_half": slope_per_min * 60,
        "rss_mb_at_minutes": {
            str(minute): min(samples, key=lambda s: abs(s[0] - 60 * minute))[1]
            for minute in (10, 30, 60)
            if samples and samples[-1][0] >= 60 * minute - args.sample_seconds
        },
        "max_slope_mb_per_hour": args.max_slope_mb_per_hour,
        "leak_suspected": slope_per_min * 60 > args.max_slope_mb_per_hour,
        "rss_samples": [[round(t, 1), round(m, 1)] for t, m in samples],
    }
    print(json.dumps(result, indent=2, sort_keys=True))  # noqa: T201


if __name__ == "__main__":
    main()
