"""A forecaster bundle served by seasonal naive, written without TensorFlow, for service and HTTP tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from schemas.forecast import Backtest, ForecastManifest, Intervals, LstmSettings, ModelReport, Scores, SeriesInfo
from schemas.manifest import DataFile
from training.forecast.bundle import SERIES_FILE, write_manifest, write_series
from training.forecast.series import DailySeries, file_sha256

START = dt.date(2024, 1, 1)  # a Monday
WEEK = np.array([100.0, 120, 110, 130, 90, 0, 0])
SCORES = Scores(mae=1.0, smape=2.0, mase=0.5)


def weekly_series(weeks: int = 20, value: str = "count") -> DailySeries:
    """A count series repeating one business week, zero on weekends."""
    kind = "count" if value == "count" else "amount"
    return DailySeries(START, np.tile(WEEK, weeks), kind)


def write_fake_bundle(directory: Path, series: DailySeries, horizon: int = 28) -> Path:
    """A complete bundle directory whose served model is seasonal naive (the model file is a placeholder)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "lstm.keras").write_bytes(b"placeholder: the LSTM is not served by this bundle")
    write_series(series, directory / SERIES_FILE)
    report = ModelReport(
        model="seasonal_naive",
        mean=SCORES,
        final_fold=SCORES,
        origins=[{"first_day": START, **SCORES.model_dump()}],  # type: ignore[list-item]
        coverage=0.8,
        coverage_final_fold=0.8,
        coverage_days=horizon,
    )
    manifest = ForecastManifest(
        version="fake-1",
        created_at=dt.datetime(2024, 6, 1, tzinfo=dt.UTC),
        value=series.value,
        window=60,
        horizon=horizon,
        chosen_model="seasonal_naive",
        chosen_reason="test",
        model_file="lstm.keras",
        model_sha256=file_sha256(directory / "lstm.keras"),
        lstm=LstmSettings(window=60, horizon=horizon, level_days=28, value_mean=0.0, value_std=1.0),
        backtest=Backtest(horizon=horizon, step_days=7, first_days=[START], models=[report]),
        intervals=Intervals(
            level=0.8,
            block_days=14,
            lower={"0:business": -0.1, "0:other": 0.0, "1:business": -0.2, "1:other": 0.0},
            upper={"0:business": 0.1, "0:other": 0.5, "1:business": 0.2, "1:other": 0.5},
            calibration_days=100,
            coverage=0.8,
        ),
        series=SeriesInfo(
            value=series.value,
            first_day=series.start,
            last_day=series.end,
            days=len(series),
            file=SERIES_FILE,
            sha256=file_sha256(directory / SERIES_FILE),
        ),
        data=[DataFile(path="loans.csv", sha256="0" * 64, rows=1)],
    )
    write_manifest(manifest, directory)
    return directory
