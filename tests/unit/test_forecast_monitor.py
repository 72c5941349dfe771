"""The served forecast knows when it is off: served forecasts scored on the days that arrive since,
intervals adapting to the misses, and the ``ticket_trainer_forecast_*`` gauges."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from schemas.loans import LoanRecord
from tests.unit.forecast_fakes import START, weekly_series, write_fake_bundle
from training.forecast.adaptive import AdaptiveIntervals
from training.forecast.live_accuracy import record_accuracy
from training.forecast.monitor import ForecastMonitor, error_scale
from training.forecast.series import DailySeries
from training.forecast.serving import ForecastService
from training.metrics import TrainerMetrics


def _intervals() -> AdaptiveIntervals:
    aci = AdaptiveIntervals(level=0.8, gamma=0.1)
    for band in ("1-7", "8-30", "31-90"):
        aci.update(band, np.linspace(-0.1, 0.1, 21), None)
    return aci


def test_forecasts_are_scored_once_their_days_are_complete() -> None:
    monitor = ForecastMonitor(scale=10.0, intervals=_intervals())
    first = START + dt.timedelta(days=10)
    lower, upper = monitor.issue(first, np.full(30, 100.0))
    assert lower[0] < 100 < upper[0]
    series = DailySeries(START, np.full(13, 100.0), "count")  # days 10, 11 complete; day 12 in progress
    assert monitor.observe(series) == 2
    assert monitor.observe(series) == 0, "a day is scored once"
    one_week = monitor.accuracy()[0]
    assert (one_week.band, one_week.days, one_week.mae, one_week.coverage) == ("1-7", 2, 0.0, 1.0)
    later = DailySeries(START, np.concatenate([np.full(12, 100.0), np.full(20, 150.0)]), "count")
    monitor.observe(later)
    short, mid, _ = monitor.accuracy()
    assert short.days == 7 and short.mae == pytest.approx(5 * 50 / 7) and short.scaled_error == short.mae / 10
    assert short.coverage == pytest.approx(2 / 7) and mid.days == 14 and mid.coverage == 0.0


def test_misses_widen_the_next_intervals_and_old_days_leave_the_window() -> None:
    aci = _intervals()
    monitor = ForecastMonitor(scale=1.0, intervals=aci, window_days=28)
    before = monitor.issue(START, np.full(90, 100.0))[1][0]
    monitor.observe(DailySeries(START, np.full(20, 300.0), "count"))
    assert aci.alpha["1-7"] < 0.2 and aci.alpha["8-30"] < 0.2
    assert monitor.issue(START + dt.timedelta(days=20), np.full(90, 100.0))[1][0] > before
    monitor.observe(DailySeries(START, np.full(80, 300.0), "count"))
    # Days 51-78 are the last 28 complete ones; both forecasts cover each of them.
    assert sum(b.days for b in monitor.accuracy()) == 2 * 28, "only the last 28 complete days count"


def test_a_perfectly_weekly_history_still_has_a_scale() -> None:
    assert error_scale(np.tile([1.0, 2, 3, 4, 5, 6, 7], 4)) == 4.0
    assert error_scale(np.arange(20.0)) == 7.0


def test_the_service_exports_its_live_accuracy(tmp_path: Path) -> None:
    service = ForecastService.from_directory(write_fake_bundle(tmp_path / "bundle", weekly_series()))
    metrics = TrainerMetrics(CollectorRegistry())
    end = service.series.end
    served = service.forecast(7)
    # Two days of loans arrive: the first is complete once the second has begun.
    day1, day2 = end + dt.timedelta(days=1), end + dt.timedelta(days=2)
    loans = [
        LoanRecord.model_validate({"loan_id": f"L{i}", "created_at": f"{day}T10:00:00Z"})
        for i, day in enumerate([day1] * 3 + [day2])
    ]
    service.add_loans(loans)
    record_accuracy(metrics, service)
    sample = metrics.registry.get_sample_value
    labels = {"series": "count", "band": "1-7"}
    assert sample("ticket_trainer_forecast_scored_days", labels) == 1
    error = abs(3 - served[0].forecast)
    assert sample("ticket_trainer_forecast_scaled_error", labels) == pytest.approx(
        error / error_scale(service.bundle.series.values)
    )
    inside = served[0].lower <= 3 <= served[0].upper
    assert sample("ticket_trainer_forecast_interval_coverage_ratio", labels) == float(inside)
    assert sample("ticket_trainer_forecast_evaluation_scaled_error", labels) == 0.5
    assert sample("ticket_trainer_forecast_scaled_error", {"series": "count", "band": "31-90"}) is None


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(min_value=0, max_value=1e12, allow_nan=False), min_size=1, max_size=120),
    forecast=st.floats(min_value=0, max_value=1e12, allow_nan=False),
    offset=st.integers(min_value=-200, max_value=200),
)
def test_any_series_and_forecast_are_scored_without_error(values: list[float], forecast: float, offset: int) -> None:
    aci = _intervals()
    monitor = ForecastMonitor(scale=1.0, intervals=aci)
    lower, upper = monitor.issue(START + dt.timedelta(days=offset), np.full(90, forecast))
    assert np.all(lower <= forecast) and np.all(upper >= forecast) and np.all(lower >= 0)
    monitor.observe(DailySeries(START, np.array(values), "amount"))
    for band in monitor.accuracy():
        assert band.coverage is None or 0 <= band.coverage <= 1
        assert band.mae is None or np.isfinite(band.mae)
    assert all(np.isfinite(a) for a in aci.alpha.values())


def test_a_failing_score_is_logged_and_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    service = ForecastService.from_directory(write_fake_bundle(tmp_path / "bundle", weekly_series()))

    def broken() -> list[object]:
        raise RuntimeError("boom")

    service.check_accuracy = broken  # type: ignore[method-assign, assignment]
    record_accuracy(TrainerMetrics(CollectorRegistry()), service)
    assert "scoring the served loan forecast failed: RuntimeError" in caplog.text
