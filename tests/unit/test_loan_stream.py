"""Loan events reach the forecaster, invalid ones are counted; forecasts become gauges."""

from __future__ import annotations

import json
from typing import NamedTuple

from prometheus_client import CollectorRegistry

from service.kafka_config import KafkaSettings
from tests.unit.trainer_fakes import FakeForecaster
from training.loan_stream import LoansConsumer, record_forecast
from training.metrics import TrainerMetrics


class Rec(NamedTuple):
    topic: str
    partition: int
    offset: int
    value: bytes | None


def test_loans_are_handed_over_and_invalid_ones_counted() -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    forecaster = FakeForecaster()
    consumer = LoansConsumer(KafkaSettings(), "loans.created", lambda: forecaster, metrics)
    good = json.dumps({"loan_id": "L1", "created_at": "2026-11-24T09:00:00Z", "amount": 1200.0}).encode()
    bad = json.dumps({"loan_id": "L2", "created_at": "2026-11-24T09:00:00", "amount": -5}).encode()
    assert consumer.handle([Rec("loans", 0, 0, good), Rec("loans", 0, 1, bad)]) == 1
    assert [loan.loan_id for loan in forecaster.loans] == ["L1"]
    sample = metrics.registry.get_sample_value
    assert sample("ticket_trainer_loans_received_total", {"outcome": "used"}) == 1
    assert sample("ticket_trainer_loans_received_total", {"outcome": "invalid"}) == 1


def test_loans_without_a_forecaster_are_counted_not_lost_silently() -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    consumer = LoansConsumer(KafkaSettings(), "loans.created", lambda: None, metrics)
    good = json.dumps({"loan_id": "L1", "created_at": "2026-11-24T09:00:00Z"}).encode()
    assert consumer.handle([Rec("loans", 0, 0, good)]) == 0
    assert metrics.registry.get_sample_value("ticket_trainer_loans_received_total", {"outcome": "no_model"}) == 1


def test_forecast_gauges() -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    record_forecast(metrics, FakeForecaster().forecast_event(10))
    sample = metrics.registry.get_sample_value
    labels = {"series": "amount", "horizon_days": "1", "bound": "forecast"}
    assert sample("ticket_trainer_loan_forecast", labels) == 100.0
    assert sample("ticket_trainer_loan_forecast", {**labels, "horizon_days": "10", "bound": "upper"}) == 129.0
    assert sample("ticket_trainer_loan_forecast", {**labels, "horizon_days": "3"}) is None, "few, fixed horizons"
