"""The Grafana dashboard against what a running router, trainer and triage console really export, and a real
Prometheus scrape."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from classifier.registry import ModelRegistry
from streaming.embedded_broker import EmbeddedBroker
from streaming.kafka_config import KafkaSettings
from tests.deploy.metric_names import dashboard_problems, from_exposition, load_dashboards, merge, scrape
from tests.deploy.prometheus_server import prometheus_binary, run_prometheus
from tests.integration.console_process import ConsoleProcess
from tests.integration.router_process import RouterProcess, TrainerProcess, complaint, make_topics, produce, wait_for

pytestmark = pytest.mark.slow
DASHBOARDS = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"


def test_dashboard_queries_match_live_metrics_and_prometheus_scrapes_the_router(
    broker: EmbeddedBroker,
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: Callable[..., RouterProcess],
    console_script: Callable[[str], Path],
    tiny_bundle: Path,
    tmp_path: Path,
) -> None:
    topics = make_topics(kafka_settings, unique_name)
    router = start_router(
        {**topics.env(), "TICKET_ROUTER_MODEL_PATH": str(tiny_bundle), "TICKET_ROUTER_GROUP_ID": unique_name("g")}
    )
    registry = ModelRegistry(tmp_path / "registry")
    shutil.copytree(tiny_bundle, registry.root / tiny_bundle.name)
    registry.set_current(tiny_bundle.name)
    trainer = TrainerProcess(
        console_script("ticket-trainer"),
        {
            "TICKET_TRAINER_BOOTSTRAP_SERVERS": broker.bootstrap,
            "TICKET_TRAINER_GROUP_ID": unique_name("trainer"),
            "TICKET_TRAINER_FEEDBACK_STORE": str(tmp_path / "feedback.sqlite3"),
            "TICKET_TRAINER_REGISTRY": str(registry.root),
        },
        tmp_path / "trainer.log",
    )
    console = ConsoleProcess(
        console_script("ticket-console"),
        broker.bootstrap,
        {
            "TICKET_CONSOLE_GROUP_ID": unique_name("console"),
            "TICKET_CONSOLE_TRIAGE_TOPIC": f"{topics.prefix}triage",
            "TICKET_CONSOLE_DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}",
        },
        tmp_path / "console.log",
    )
    try:
        router.wait_ready()
        trainer.wait_ready(timeout=120)
        console.wait_ready()
        produce(
            kafka_settings,
            [
                (topics.complaints, b"m1", complaint("m1", "my card was charged twice")),
                (topics.complaints, b"m2", b"{not json"),
            ],
        )
        wait_for(lambda: "ticket_router_events_dead_lettered_total{" in router.metrics(), 60, "the first batch")
        exported = merge(
            from_exposition(scrape(f"http://127.0.0.1:{router.port}/metrics")),
            from_exposition(scrape(f"http://127.0.0.1:{trainer.port}/metrics")),
            from_exposition(scrape(f"http://127.0.0.1:{console.port}/metrics")),
        )
        for name, dashboard in load_dashboards(DASHBOARDS).items():
            assert dashboard_problems(dashboard, exported) == [], name

        if prometheus_binary() is None:
            pytest.skip("no prometheus binary (apt-get install prometheus): the live scrape was not run")
        with run_prometheus({"router": [f"127.0.0.1:{router.port}"]}, tmp_path / "prometheus") as prom:
            prom.wait_until_up("router")
            wait_for(lambda: bool(prom.query("ticket_router_events_consumed_total")), 30, "scraped samples")
            consumed = sum(float(r["value"][1]) for r in prom.query("ticket_router_events_consumed_total"))
            assert consumed == 2
    finally:
        console.kill()
        trainer.kill()
