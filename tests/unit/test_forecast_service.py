"""The TF-free service core: bundle loading and hash checks, forecasts with intervals, live loan updates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, ModelLoadError
from schemas.loans import LoanRecord
from tests.unit.forecast_fakes import START, WEEK, weekly_series, write_fake_bundle
from tests.unit.isolation import imports_tensorflow
from training.forecast.bundle import load_bundle
from training.forecast.serving import ForecastService


@pytest.fixture
def service(tmp_path: Path) -> ForecastService:
    return ForecastService.from_directory(write_fake_bundle(tmp_path / "bundle", weekly_series()))


def _loan(loan_id: str, when: str, amount: float | None = None) -> LoanRecord:
    return LoanRecord.model_validate({"loan_id": loan_id, "created_at": when, "amount": amount})


def test_a_baseline_bundle_loads_without_tensorflow(service: ForecastService, tmp_path: Path) -> None:
    assert service.bundle.manifest.chosen_model == "seasonal_naive"
    code = (
        "from pathlib import Path\nfrom training.forecast.serving import ForecastService\n"
        f"ForecastService.from_directory(Path({str(tmp_path / 'bundle')!r})).forecast(3)"
    )
    assert not imports_tensorflow(code)


def test_forecast_starts_after_the_series_with_ordered_bounds(service: ForecastService) -> None:
    points = service.forecast(10)
    assert [p.date for p in points] == [service.series.end + dt.timedelta(days=i) for i in range(1, 11)]
    np.testing.assert_array_equal([p.forecast for p in points], np.resize(WEEK, 10))
    assert all(p.lower <= p.forecast <= p.upper for p in points)
    assert points[0].lower == pytest.approx(np.expm1(np.log1p(100.0) - 0.1))


def test_days_outside_the_horizon_are_refused(service: ForecastService) -> None:
    with pytest.raises(ConfigError, match="between 1 and 28"):
        service.forecast(29)
    with pytest.raises(ConfigError):
        service.forecast(0)


def test_forecast_event_carries_version_and_level(service: ForecastService) -> None:
    event = service.forecast_event(3)
    assert (event.model_version, event.value, event.interval_level, len(event.points)) == ("fake-1", "count", 0.8, 3)


def test_loans_extend_the_series_and_change_the_forecast(service: ForecastService) -> None:
    end = service.series.end  # a Sunday
    before = service.forecast(7)
    used = service.add_loans(
        [
            _loan("a", f"{end + dt.timedelta(days=2)}T10:00:00Z"),
            _loan("b", f"{end + dt.timedelta(days=2)}T23:30:00-05:00"),  # the next UTC day
            _loan("c", f"{end}T12:00:00+00:00"),
        ]
    )
    assert used == 3
    series = service.series
    assert series.end == end + dt.timedelta(days=3)
    np.testing.assert_array_equal(series.values[-4:], [1, 0, 1, 1])
    after = service.forecast(7)
    assert after[0].date == end + dt.timedelta(days=4) and after != before


def test_old_loans_and_missing_amounts_are_reported(tmp_path: Path) -> None:
    amounts = ForecastService.from_directory(write_fake_bundle(tmp_path / "b", weekly_series(value="amount")))
    update = amounts.update(
        [
            _loan("old", "2000-01-01T00:00:00Z", 5.0),
            _loan("none", f"{START}T01:00:00Z"),
            _loan("ok", f"{START}T02:00:00Z", 7.5),
        ]
    )
    assert update.added == 1 and update.too_old == 1 and update.missing_amount == ["none"]
    assert amounts.series.values[0] == WEEK[0] + 7.5


def test_a_tampered_file_is_refused(tmp_path: Path) -> None:
    bundle = write_fake_bundle(tmp_path / "bundle", weekly_series())
    (bundle / "series.csv").write_text("date,value\n2024-01-01,1\n", encoding="utf-8")
    with pytest.raises(ModelLoadError, match="does not match its sha256"):
        load_bundle(bundle)


def test_a_broken_manifest_is_refused_by_field(tmp_path: Path) -> None:
    bundle = write_fake_bundle(tmp_path / "bundle", weekly_series())
    data = json.loads((bundle / "manifest.json").read_text())
    data["chosen_model"] = "prophet"
    (bundle / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ModelLoadError, match="chosen_model"):
        load_bundle(bundle)
    with pytest.raises(ModelLoadError, match="no forecaster manifest"):
        load_bundle(tmp_path / "missing")
