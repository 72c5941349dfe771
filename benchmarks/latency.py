"""End-to-end latency percentiles at fixed offered loads through the real router (batching must not slow light load).

Run inside the project's environment: ``.venv/bin/python benchmarks/latency.py [--rates 200,500] [--seconds 10]``.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import OutputCollector, event_bytes, load_texts, percentile, producer, routers, stack  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="200,500", help="offered loads in events/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each load step (default 10)")
    parser.add_argument("--kind", choices=["short", "long"], default="short", help="message kind (default short)")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    texts = load_texts(args.kind, int(max(rates) * args.seconds))
    result: dict[str, object] = {"kind": args.kind, "seconds_per_step": args.seconds}
    with stack() as s, routers(s, 1):
        collector = OutputCollector(s)
        send = producer(s.kafka)
        for rate in rates:
            n = int(rate * args.seconds)
            sent_at: dict[str, float] = {}
            start = time.perf_counter()
            for i in range(n):
                # Pace by schedule, not by sleep-per-message, so the offered rate holds.
                due = start + i / rate
                while (delay := due - time.perf_counter()) > 0:
                    time.sleep(min(delay, 0.002))
                key = f"r{rate}-{i}"
                sent_at[key] = time.time() * 1000
                send.send(s.input_topic, key=key.encode(), value=event_bytes(key, texts[i], args.kind))
            send.flush()
            collector.collect(collector.count + n, timeout_s=120)
            latencies = [collector.timestamps[k] - t for k, t in sent_at.items() if k in collector.timestamps]
            result[f"p50_ms_at_{rate}"] = percentile(latencies, 50)
            result[f"p95_ms_at_{rate}"] = percentile(latencies, 95)
            result[f"p99_ms_at_{rate}"] = percentile(latencies, 99)
            result[f"routed_at_{rate}"] = len(latencies)
            result[f"achieved_rate_{rate}"] = n / (time.perf_counter() - start)
        collector.close()
        send.close()
    print(json.dumps(result, indent=2, sort_keys=True))  # noqa: T201


if __name__ == "__main__":
    main()
