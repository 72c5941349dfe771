"""Throughput end to end through the real router vs the model-only ceiling and a naive per-message router.

Two end-to-end figures: live (events produced while the routers run, from the first send to the last
output; the load generator shares the cores) and backlog (events produced in one burst, the routers'
own rate on what is left after it). The model-only ceiling gets the texts in the batches the routers poll
(``TICKET_ROUTER_BATCH_SIZE``, which they inherit from this environment). One router process is bound by
Python's interpreter lock to about one core, so by default one router per core runs in one consumer group,
as a deployment would.

Run inside the project's environment:
``.venv/bin/python benchmarks/throughput.py [--short N] [--long N] [--routers N]``. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (  # noqa: E402
    OutputCollector,
    backlog_rate,
    event_bytes,
    load_texts,
    model_ceiling,
    percentile,
    producer,
    routers,
    stack,
)
from classifier.bundle import BundleClassifier, load_bundle  # noqa: E402
from classifier.registry import ModelRegistry  # noqa: E402
from core.paths import default_classifier_registry  # noqa: E402
from service.settings import RouterSettings  # noqa: E402


def naive_rate(classifier: BundleClassifier, texts: list[str]) -> float:
    """Events/s of the tutorial's router: one Keras ``model.predict`` call per message (cleaning included)."""
    import keras
    import tensorflow as tf

    from classifier.textclean import clean_texts

    manifest = classifier.manifest
    model = keras.saving.load_model(classifier.path / manifest.model_file, compile=False)
    model.predict(tf.constant(clean_texts(texts[:1], manifest.max_chars)), verbose=0)
    start = time.perf_counter()
    for text in texts:
        model.predict(tf.constant(clean_texts([text], manifest.max_chars)), verbose=0)
    return len(texts) / (time.perf_counter() - start)


def end_to_end(kind: str, texts: list[str], replicas: int) -> dict[str, float]:
    """Produce ``texts`` as events to running routers; routed events/s and latency percentiles."""
    with stack() as s, routers(s, replicas):
        collector = OutputCollector(s)
        send = producer(s.kafka)
        sent_at: dict[str, float] = {}
        start = time.time()
        for i, text in enumerate(texts):
            sent_at[f"b{i}"] = time.time() * 1000
            send.send(s.input_topic, key=f"b{i}".encode(), value=event_bytes(f"b{i}", text, kind))
        send.flush()
        collector.collect(len(texts), timeout_s=600)
        last = max(collector.timestamps.values(), default=start * 1000) / 1000
        latencies = [collector.timestamps[k] - sent_at[k] for k in collector.timestamps if k in sent_at]
        collector.close()
        send.close()
    return {
        "events": len(texts),
        "routed": collector.count,
        "events_per_s": collector.count / max(1e-9, last - start),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
    }


def main() -> None:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=int, default=20_000, help="short social-style events (default 20000)")
    parser.add_argument("--long", type=int, default=4_000, help="long complaint narratives (default 4000)")
    parser.add_argument("--naive", type=int, default=300, help="messages for the naive router (default 300)")
    parser.add_argument(
        "--routers", type=int, default=cores, help=f"router processes in one group (default: one per core, {cores})"
    )
    args = parser.parse_args()
    if args.routers < 1:
        parser.error("--routers must be at least 1")

    bundle_path = ModelRegistry(default_classifier_registry()).current_path()
    classifier = load_bundle(bundle_path)
    texts = {"short": load_texts("short", args.short), "long": load_texts("long", args.long)}
    # The ceiling gets the texts in the batches the routers poll (they inherit this environment).
    router_batch = RouterSettings().batch_size
    result: dict[str, object] = {
        "model_version": classifier.version,
        "routers": args.routers,
        "router_batch_size": router_batch,
    }
    naive = naive_rate(classifier, texts["short"][: args.naive])
    result["naive_events_per_s"] = naive
    live_rate: dict[str, float] = {}
    for kind, batch in texts.items():
        ceiling, model_cpu_us = model_ceiling(classifier, batch, router_batch)
        live = end_to_end(kind, batch, args.routers)
        live_rate[kind] = live["events_per_s"]
        backlog = backlog_rate(kind, batch, args.routers)
        result[f"{kind}_model_ceiling_per_s"] = ceiling
        result[f"{kind}_events_per_s"] = live["events_per_s"]
        result[kind] = live
        result[f"{kind}_ratio_to_ceiling"] = live["events_per_s"] / ceiling
        result[f"{kind}_backlog_events_per_s"] = backlog["events_per_s"]
        result[f"{kind}_backlog_ratio_to_ceiling"] = backlog["events_per_s"] / ceiling
        # What 80% of the ceiling would demand: the machine's CPU µs per event at that rate, against what
        # the model alone, and the routers and the broker during the backlog run, actually spend per event.
        result[f"{kind}_cpu_us_per_event"] = {
            "model_only": model_cpu_us,
            "routers": backlog["routers_cpu_us_per_event"],
            "broker": backlog["broker_cpu_us_per_event"],
            "available_at_80pct_of_ceiling": cores * 1e6 / (0.8 * ceiling),
        }
    result["short_speedup_over_naive"] = live_rate["short"] / naive
    print(json.dumps(result, indent=2, sort_keys=True))  # noqa: T201


if __name__ == "__main__":
    main()
