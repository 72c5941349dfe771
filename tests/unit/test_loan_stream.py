"""Loan events reach the forecaster, invalid ones are counted; forecasts become gauges."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

from prometheus_client import CollectorRegistry

from service.kafka_config import KafkaSettings
from tests.unit.trainer_fakes import forecast_service
from training.loan_stream import LoansConsumer, record_forecast
from training.metrics import TrainerMetrics


class Rec(NamedTuple):
    topic: str
    partition: int
    offset: int
    value: bytes | None


def test_loans_are_handed_over_and_invalid_ones_counted(tmp_path: Path) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    forecaster = forecast_service(tmp_path)
    days_before = len(forecaster.series)
    consumer = LoansConsumer(KafkaSettings(), "loans.created", lambda: forecaster, metrics)
    end = forecaster.series.end
    good = json.dumps({"loan_id": "L1", "created_at": f"{end + timedelta(days=1)}T09:00:00Z"}).encode()
    old = json.dumps({"loan_id": "L0", "created_at": "2001-01-01T09:00:00Z"}).encode()
    bad = json.dumps({"loan_id": "L2", "created_at": "2026-11-24T09:00:00", "amount": -5}).encode()
    assert consumer.handle([Rec("loans", 0, 0, good), Rec("loans", 0, 1, bad), Rec("loans", 0, 2, old)]) == 1
    assert len(forecaster.series) == days_before + 1 and forecaster.series.values[-1] == 1.0
    sample = metrics.registry.get_sample_value
    assert sample("ticket_trainer_loans_received_total", {"outcome": "used"}) == 1
    assert sample("ticket_trainer_loans_received_total", {"outcome": "invalid"}) == 1
    assert sample("ticket_trainer_loans_received_total", {"outcome": "ignored"}) == 1, "before the series start"


def test_loans_without_a_forecaster_are_counted_not_lost_silently() -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    consumer = LoansConsumer(KafkaSettings(), "loans.created", lambda: None, metrics)
    good = json.dumps({"loan_id": "L1", "created_at": "2026-11-24T09:00:00Z"}).encode()
    assert consumer.handle([Rec("loans", 0, 0, good)]) == 0
    assert metrics.registry.get_sample_value("ticket_trainer_loans_received_total", {"outcome": "no_model"}) == 1


def test_forecast_gauges(tmp_path: Path) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    event = forecast_service(tmp_path).forecast_event(10)
    record_forecast(metrics, event)
    sample = metrics.registry.get_sample_value
    labels = {"series": "count", "horizon_days": "1", "bound": "forecast"}
    assert sample("ticket_trainer_loan_forecast", labels) == event.points[0].forecast
    upper = {**labels, "horizon_days": "10", "bound": "upper"}
    assert sample("ticket_trainer_loan_forecast", upper) == event.points[9].upper
    assert sample("ticket_trainer_loan_forecast", {**labels, "horizon_days": "3"}) is None, "few, fixed horizons"
