"""The demo: embedded broker, the real router process on the shipped model, sample traffic, a readable summary."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer

from core.errors import TicketRouterError
from schemas.common import DEPARTMENTS
from schemas.outputs import DeadLetter, RoutedEvent
from service.demo_console import demo_console
from service.demo_traffic import DemoMessage
from service.settings import RouterSettings
from streaming.embedded_broker import EmbeddedBroker, free_port
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from streaming.topics import ensure_topics

Say = Callable[[str], None]
FEEDBACK_TOPIC = "tickets.feedback"
"""Where the console's decisions go for the trainer (created up front like the router's topics)."""


@dataclass
class DemoOutcome:
    """What came out of the router, read back from its topics."""

    routed: list[RoutedEvent] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    elapsed_s: float = 0.0
    metrics_url: str = ""
    console_url: str = ""
    console_open: int = 0
    metrics_sample: list[str] = field(default_factory=list)


def router_command() -> list[str]:
    """The installed ``ticket-router`` next to this interpreter, else the module form."""
    script = Path(sys.executable).parent / "ticket-router"
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from service.cli import main; main()"]


def _http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own loopback endpoint
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""
    except OSError:
        return 0, ""


def wait_ready(process: subprocess.Popen[bytes], port: int, timeout_s: float, say: Say, name: str = "router") -> None:
    """Wait for a service's /readyz; a clear error if it exits or takes too long."""
    deadline = time.monotonic() + timeout_s
    next_note = time.monotonic() + 10
    while _http_get(f"http://127.0.0.1:{port}/readyz")[0] != 200:
        if process.poll() is not None:
            raise TicketRouterError(
                f"the {name} exited with code {process.returncode} before it was ready (see its log)"
            )
        if time.monotonic() > deadline:
            raise TicketRouterError(f"the {name} was not ready within {timeout_s:.0f}s")
        if time.monotonic() > next_note:
            say("  ... still loading the model and joining the consumer group")
            next_note += 10
        time.sleep(0.2)


def run_demo(
    messages: list[DemoMessage],
    router_env: dict[str, str],
    say: Say,
    timeout_s: float = 300,
    hold: Callable[[DemoOutcome], None] | None = None,
) -> DemoOutcome:
    """Start everything, stream ``messages``, read every output back, then ``hold`` (if given), stop everything."""
    with EmbeddedBroker() as broker, contextlib.ExitStack() as stack:
        say(f"embedded broker on {broker.bootstrap}")
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap)
        settings = RouterSettings(bootstrap_servers=broker.bootstrap)
        ensure_topics(kafka, settings.input_topics, partitions=4)
        ensure_topics(kafka, [*settings.output_topics(), FEEDBACK_TOPIC], partitions=4)
        console_url = stack.enter_context(demo_console(broker.bootstrap, say, wait_ready))
        say(f"triage console ready at {console_url}")
        port = free_port()
        env = {
            **os.environ,
            **router_env,
            "TICKET_ROUTER_BOOTSTRAP_SERVERS": broker.bootstrap,
            "TICKET_ROUTER_HTTP_PORT": str(port),
            "TICKET_ROUTER_HTTP_HOST": "127.0.0.1",
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
        }
        say("starting the router (ticket-router serve) with the registry's current model ...")
        log = tempfile.NamedTemporaryFile(prefix="ticket-router-demo-", suffix=".log", delete=False)  # noqa: SIM115
        say(f"router log: {log.name}")
        command = [*router_command(), "serve"]
        with log, subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT) as router:  # noqa: S603
            try:
                wait_ready(router, port, timeout_s=180, say=say)
                say(f"router ready; metrics at http://127.0.0.1:{port}/metrics")
                outcome = _stream(kafka, settings, messages, say, timeout_s)
                outcome.console_url = console_url
                outcome.console_open = _console_queue(console_url, outcome, say)
                outcome.metrics_url = f"http://127.0.0.1:{port}/metrics"
                body = _http_get(outcome.metrics_url)[1]
                outcome.metrics_sample = [
                    line
                    for line in body.splitlines()
                    if line.startswith(("ticket_router_events_", "ticket_router_model_info")) and "_created" not in line
                ]
                if hold is not None:
                    hold(outcome)
            finally:
                router.send_signal(signal.SIGTERM)
                try:
                    code = router.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    router.kill()
                    code = router.wait()
                say(f"router stopped (exit code {code})")
    say("embedded broker stopped; nothing left running")
    return outcome


def _console_queue(url: str, outcome: DemoOutcome, say: Say, timeout_s: float = 30) -> int:
    """Open items in the console once it has queued every triage event (or after ``timeout_s``)."""
    expected = sum(1 for r in outcome.routed if r.department == "triage")
    deadline = time.monotonic() + timeout_s
    open_items = 0
    while time.monotonic() < deadline:
        status, body = _http_get(f"{url}api/stats")
        open_items = int(json.loads(body)["open_items"]) if status == 200 else 0
        if open_items >= expected:
            break
        time.sleep(0.2)
    if open_items < expected:
        say(f"  the console queued {open_items} of {expected} triage events within {timeout_s:.0f}s")
    return open_items


def _stream(
    kafka: KafkaSettings, settings: RouterSettings, messages: list[DemoMessage], say: Say, timeout_s: float
) -> DemoOutcome:
    outputs = [settings.routed_topic(d) for d in DEPARTMENTS] + [settings.dlq_topic]
    reader = KafkaConsumer(*outputs, **consumer_kwargs(kafka, None, isolation_level="read_committed"))
    producer = KafkaProducer(**kafka.client_kwargs(), linger_ms=5, acks="all")
    outcome = DemoOutcome()
    try:
        reader.poll(timeout_ms=200)
        start = time.monotonic()
        for message in messages:
            producer.send(message.topic, key=message.key, value=message.value)
        producer.flush()
        say(f"produced {len(messages)} events; waiting for the router ...")
        deadline = start + timeout_s
        received = 0
        next_note = time.monotonic() + 5
        while received < len(messages) and time.monotonic() < deadline:
            for records in reader.poll(timeout_ms=500).values():
                for record in records:
                    received += 1
                    if record.topic == settings.dlq_topic:
                        outcome.dead.append(DeadLetter.model_validate_json(record.value))
                    else:
                        outcome.routed.append(RoutedEvent.model_validate_json(record.value))
            if time.monotonic() > next_note:
                say(f"  ... {received}/{len(messages)} routed or dead-lettered")
                next_note += 5
        outcome.elapsed_s = time.monotonic() - start
        if received < len(messages):
            raise TicketRouterError(f"only {received} of {len(messages)} events came out within {timeout_s:.0f}s")
    finally:
        producer.close()
        reader.close()
    return outcome


def summarize(messages: list[DemoMessage], outcome: DemoOutcome, examples: int = 6, seed: int = 7) -> str:
    """The readable summary printed at the end of the demo."""
    lines = []
    by_dept = Counter(r.department for r in outcome.routed)
    triage = Counter(r.reason for r in outcome.routed if r.department == "triage")
    dlq = Counter(d.reason for d in outcome.dead)
    total = len(messages)
    lines.append("")
    head = f"{total} events in, {len(outcome.routed)} routed, {len(outcome.dead)} dead-lettered"
    lines.append(f"=== ticket-router demo: {head} ===")
    lines.append("")
    lines.append("Events per department (topic routed.<department>):")
    for dept, count in by_dept.most_common():
        lines.append(f"  {dept:<18} {count:>6}  {count / total:6.1%}")
    lines.append(
        "Triage: " + (", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in triage.most_common()) or "none")
    )
    lines.append("Dead letters (tickets.dlq): " + (", ".join(f"{n} {r}" for r, n in sorted(dlq.items())) or "none"))
    expected = Counter(m.expect_dlq for m in messages if m.expect_dlq)
    if expected:
        verdict = "all as expected" if expected == dlq else f"expected {dict(expected)}"
        lines.append(f"  malformed events mixed in: {sum(expected.values())} ({verdict})")
    lines.append("")
    lines.append("Some routed examples (text truncated):")
    rng = random.Random(seed)  # noqa: S311 - picking examples, not security
    for routed in rng.sample(outcome.routed, min(examples, len(outcome.routed))):
        text = " ".join(routed.event.text.split())
        text = text[:70] + ("..." if len(text) > 70 else "")
        lines.append(f"  [{routed.event.kind:<9}] {text:<73} -> {routed.department} ({routed.confidence:.2f})")
    lines.append("")
    rate = total / outcome.elapsed_s if outcome.elapsed_s else 0.0
    lines.append(
        f"Throughput: {total} events in {outcome.elapsed_s:.2f}s = {rate:,.0f} events/s (produce to last output)"
    )
    if outcome.routed:
        lines.append(f"Model version: {outcome.routed[0].model_version}")
    if outcome.console_url:
        lines.append(
            f"Triage console: {outcome.console_open} items waiting for an agent at {outcome.console_url}"
            " (it stays up with --keep-running)"
        )
    if outcome.metrics_sample:
        lines.append(f"Prometheus metrics were served at {outcome.metrics_url}; a few lines as scraped:")
        lines.extend(f"  {line}" for line in outcome.metrics_sample[:8])
    return "\n".join(lines)
