"""The committed forecaster bundles load, match the shared data they were trained on, and forecast."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from service.paths import default_models_dir
from training.forecast.series import file_sha256, load_daily_series
from training.forecast.service import ForecastService

pytestmark = pytest.mark.slow

BUNDLES = ["loans-amount", "originations-count"]


@pytest.mark.parametrize("name", BUNDLES)
def test_committed_bundle_serves_the_full_horizon(name: str, data_dir: Path) -> None:
    service = ForecastService.from_directory(default_models_dir() / "forecaster" / name, threads=1)
    manifest = service.bundle.manifest
    source = manifest.data[0]
    assert file_sha256(data_dir / source.path) == source.sha256, "the shared data changed since training"
    series = load_daily_series(data_dir / source.path, manifest.value)
    assert (series.end, len(series)) == (manifest.series.last_day, manifest.series.days)

    points = service.forecast(manifest.horizon)
    assert len(points) == 90 and points[0].date == series.end + dt.timedelta(days=1)
    assert all(0 <= p.lower <= p.forecast <= p.upper for p in points)
    assert manifest.chosen_model in {m.model for m in manifest.backtest.models}
    if manifest.value == "count":
        closed = [p for p in points if p.date.weekday() >= 5]
        assert all(p.forecast == 0 for p in closed)
