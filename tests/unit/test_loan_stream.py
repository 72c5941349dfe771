"""Loan events reach the forecaster, invalid ones are counted; forecasts become gauges."""

from __future__ import annotations

import json
import math
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from schemas.loans import MAX_LOAN_AMOUNT, LoanRecord
from streaming.kafka_config import KafkaSettings
from tests.unit.trainer_fakes import forecast_service
from training.forecast import stream as loan_stream
from training.forecast.serving import ForecastService
from training.forecast.stream import ForecastPublisher, LoansConsumer, record_forecast
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


class _SentFuture:
    def get(self, timeout: float) -> None:
        return None


class _FakeProducer:
    """Stands in for KafkaProducer: accepts every record."""

    def __init__(self, **_kwargs: object) -> None:
        self.sent: list[str] = []

    def send(self, topic: str, key: bytes, value: bytes) -> _SentFuture:
        self.sent.append(topic)
        return _SentFuture()

    def close(self, timeout: float) -> None:
        return None


def test_publishing_times_are_exported_for_the_staleness_alert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    sample = metrics.registry.get_sample_value
    forecaster = forecast_service(tmp_path)
    source: list[ForecastService | None] = [None]
    publisher = ForecastPublisher(KafkaSettings(), "loans.forecast", lambda: source[0], metrics, 7, 3600.0)
    before = time.time()
    publisher.stop()  # run() then makes one pass (no forecast source yet) and returns
    publisher.run()
    assert sample("ticket_trainer_forecast_publish_interval_seconds") == 3600.0
    started = sample("ticket_trainer_forecast_last_published_timestamp_seconds")
    assert started is not None and started >= before, "no forecast yet: the publisher's start counts"
    assert sample("ticket_trainer_forecasts_published_total") == 0

    monkeypatch.setattr(loan_stream, "KafkaProducer", _FakeProducer)
    source[0] = forecaster
    published_after = time.time()
    assert publisher.publish_once()
    assert sample("ticket_trainer_forecasts_published_total") == 1
    last = sample("ticket_trainer_forecast_last_published_timestamp_seconds")
    assert last is not None and last >= published_after >= started


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
