"""Loan events reach the forecaster, invalid ones are counted; forecasts become gauges."""

from __future__ import annotations

import json
import math
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from schemas.loans import MAX_LOAN_AMOUNT, LoanRecord
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


@pytest.mark.parametrize(
    "loan",
    [
        {"loan_id": "L9", "created_at": "9999-12-30T00:00:00Z", "amount": 10.0},
        {"loan_id": "L9", "created_at": "2040-01-01T00:00:00Z", "amount": 10.0},
        {"loan_id": "L9", "created_at": "2026-01-01T00:00:00Z", "amount": 1.7e308},
        {"loan_id": "L9", "created_at": "2026-01-01T00:00:00Z", "amount": MAX_LOAN_AMOUNT * 2},
        {"loan_id": "L9", "created_at": "9999-12-31T23:00:00-01:00"},
    ],
)
def test_poison_loans_are_refused_and_forecasts_go_on(tmp_path: Path, loan: dict[str, object]) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    forecaster = forecast_service(tmp_path)
    before = forecaster.series
    consumer = LoansConsumer(KafkaSettings(), "loans.created", lambda: forecaster, metrics)
    assert consumer.handle([Rec("loans", 0, 0, json.dumps(loan).encode())] * 2) == 0
    assert forecaster.series is before
    assert metrics.registry.get_sample_value("ticket_trainer_loans_received_total", {"outcome": "invalid"}) == 2
    event = forecaster.forecast_event(7)
    assert all(math.isfinite(p.upper) for p in event.points)


def test_a_loan_the_forecaster_fails_on_is_refused_alone(tmp_path: Path) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    forecaster = forecast_service(tmp_path)
    real = forecaster.add_loans

    def fussy(loans: list[LoanRecord]) -> int:
        if any(loan.loan_id == "bad" for loan in loans):
            raise FloatingPointError("overflow")
        return real(loans)

    forecaster.add_loans = fussy  # type: ignore[method-assign]
    day = f"{forecaster.series.end}T09:00:00Z"
    values = [json.dumps({"loan_id": i, "created_at": day}).encode() for i in ("a", "bad", "c")]
    consumer = LoansConsumer(KafkaSettings(), "loans.created", lambda: forecaster, metrics)
    assert consumer.handle([Rec("loans", 0, i, v) for i, v in enumerate(values)]) == 2
    sample = metrics.registry.get_sample_value
    assert sample("ticket_trainer_loans_received_total", {"outcome": "internal_error"}) == 1
    assert sample("ticket_trainer_loans_received_total", {"outcome": "ignored"}) is None


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=300)
    | st.fixed_dictionaries(
        {
            "loan_id": st.text(max_size=20),
            "created_at": st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | st.text(max_size=30),
            "amount": st.none() | st.floats() | st.integers(min_value=-(2**70), max_value=2**70),
        }
    ).map(lambda d: json.dumps(d).encode())
)
def test_any_loan_record_is_used_or_refused(value: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        metrics = TrainerMetrics(CollectorRegistry())
        forecaster = forecast_service(Path(tmp))
        consumer = LoansConsumer(KafkaSettings(), "loans.created", lambda: forecaster, metrics)
        assert consumer.handle([Rec("loans", 0, 0, value)]) in {0, 1}
        assert all(math.isfinite(p.forecast) for p in forecaster.forecast_event(3).points)
