"""The assembled trainer service in-process, with fake training: corrections in → automatic refresh → promoted."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer
from prometheus_client import CollectorRegistry

from classifier.registry import ModelRegistry
from schemas.loans import ForecastEvent
from streaming.embedded_broker import free_port
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from tests.integration.router_process import http_get, metric_value, produce, wait_for
from tests.unit.trainer_fakes import (
    BASE_RULES,
    VALIDATION,
    RuleClassifier,
    RuleTrainer,
    forecast_service,
    write_bundle,
)
from training.assembly import TrainerService
from training.feedback.store import FeedbackStore
from training.metrics import TrainerMetrics
from training.refresh import Refresher, RefreshPolicy
from training.settings import TrainerSettings


def test_corrections_trigger_a_refresh_that_is_promoted(
    kafka_settings: KafkaSettings, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path / "registry")
    write_bundle(registry.root / "20200101T000000Z", "20200101T000000Z", BASE_RULES)
    registry.set_current("20200101T000000Z")
    topic = unique_name("fb")
    settings = TrainerSettings(
        bootstrap_servers=kafka_settings.bootstrap_servers,
        group_id=unique_name("g"),
        feedback_topic=topic,
        feedback_store=tmp_path / "fb.sqlite3",
        registry=registry.root,
        # All 30 corrections: the broker may hand them to the consumer in several batches, and a refresh started
        # on the first ones would hold back none of t25, t27, t28 (the hash hold-back) and be rejected.
        min_new_corrections=30,
        check_interval_s=0.2,
        http_host="127.0.0.1",
        http_port=free_port(),
        forecast_bundle=tmp_path / "forecast",
        forecast_publish_interval_s=3600,
        forecast_days=7,
        loans_topic=unique_name("loans"),
        forecast_topic=unique_name("forecast"),
    )

    def refresher(s: TrainerSettings, store: FeedbackStore, metrics: TrainerMetrics) -> Refresher:
        policy = RefreshPolicy(s.promotion_tolerance, s.holdout_fraction, s.keep_bundles)
        return Refresher(registry, store, metrics, RuleTrainer(), lambda: VALIDATION, RuleClassifier, policy)

    forecaster = forecast_service(tmp_path)
    days_before = len(forecaster.series)
    service = TrainerService(settings, CollectorRegistry(), refresher, lambda _s: forecaster)
    service.start()
    try:
        port = settings.http_port
        wait_for(lambda: http_get(port, "/readyz")[0] == 200, 30, "the trainer to be ready")
        feedback = [
            json.dumps(
                {
                    "ticket_id": f"t{i}",
                    "text": "payday advance never refunded",
                    "correct_department": "loans",
                    "agent": "a1",
                    "created_at": "2026-11-24T12:00:00Z",
                }
            ).encode()
            for i in range(30)
        ]
        produce(kafka_settings, [(topic, f"t{i}".encode(), v) for i, v in enumerate(feedback)])

        def runs(**outcome: str) -> float:  # counted once the refresh returns: after the registry changed
            return metric_value(http_get(port, "/metrics")[1], "ticket_trainer_refresh_runs_total", **outcome)

        # The challenger's folder appears a moment before CURRENT moves to it: wait for the finished refresh.
        wait_for(lambda: runs() >= 1, 60, "an automatic refresh")
        assert runs(outcome="promoted") == 1 and runs() == 1
        assert len(registry.versions()) == 2 and registry.current_version() == registry.versions()[-1]
        body = http_get(port, "/metrics")[1]
        assert metric_value(body, "ticket_trainer_corrections_received_total", outcome="new") == 30
        assert metric_value(body, "ticket_trainer_current_model_info", version=registry.current_version()) == 1
        models = json.loads(http_get(port, "/models")[1])
        assert models["current"] == registry.current_version()
        assert models["versions"][-1]["promotion"]["promoted"] is True

        day = forecaster.series.end + timedelta(days=2)
        loan = json.dumps({"loan_id": "L1", "created_at": f"{day}T09:00:00Z"}).encode()
        produce(kafka_settings, [(settings.loans_topic, b"L1", loan)])
        wait_for(lambda: len(forecaster.series) == days_before + 2, 30, "the loan event to reach the forecaster")
        status, text = http_get(port, "/forecast?days=2")
        assert status == 200 and len(json.loads(text)["points"]) == 2

        reader = KafkaConsumer(settings.forecast_topic, **consumer_kwargs(kafka_settings, None))
        published: list[Any] = []
        wait_for(
            lambda: bool(published.extend(r for b in reader.poll(timeout_ms=500).values() for r in b) or published),
            30,
            "the published forecast",
        )
        reader.close()
        event = ForecastEvent.model_validate_json(published[0].value)
        assert event.model_version == "fake-1" and len(event.points) == 7, "published at start"
    finally:
        service.stop()
        service.stop()
    assert http_get(settings.http_port, "/healthz")[0] == 0, "HTTP is down after stop"


def test_a_busy_port_or_an_unwritable_store_is_a_clear_error(
    kafka_settings: KafkaSettings, unique_name: Callable[[str], str], tmp_path: Path
) -> None:
    import socket

    import pytest

    from core.errors import ConfigError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = TrainerSettings(
            bootstrap_servers=kafka_settings.bootstrap_servers,
            group_id=unique_name("g"),
            feedback_topic=unique_name("fb"),
            feedback_store=tmp_path / "fb.sqlite3",
            registry=tmp_path / "registry",
            http_host="127.0.0.1",
            http_port=taken.getsockname()[1],
            forecast_bundle=None,
        )
        service = TrainerService(settings, CollectorRegistry())
        with pytest.raises(ConfigError, match="cannot listen"):
            service.start()
        service.stop()

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    bad = settings.model_copy(update={"feedback_store": blocker / "fb.sqlite3"})
    with pytest.raises(ConfigError, match="cannot open the feedback store"):
        TrainerService(bad, CollectorRegistry()).start()
