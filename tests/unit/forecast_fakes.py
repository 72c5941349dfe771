"""A forecaster bundle served by seasonal naive, written without TensorFlow, for service and HTTP tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from schemas.forecast import (
    Evaluation,
    ForecastManifest,
    GroupScores,
    Intervals,
    LstmSettings,
    ModelEvaluation,
    Scores,
    SeriesInfo,
)
from schemas.manifest import DataFile
from training.forecast.bundle import SERIES_FILE, write_manifest, write_series
from training.forecast.series import DailySeries, file_sha256

START = dt.date(2024, 1, 1)  # a Monday
WEEK = np.array([100.0, 120, 110, 130, 90, 0, 0])
SCORES = Scores(mae=1.0, smape=2.0, mase=0.5)
BANDS = ("1-7", "8-30", "31-90", "whole")
RESIDUAL_WIDTH = {"1-7": 0.1, "8-30": 0.2, "31-90": 0.3}
"""The fake bundle's log1p residuals per band are +-width: its 80% interval is forecast * exp(+-width) (about)."""


def weekly_series(weeks: int = 20, value: str = "count") -> DailySeries:
    """A count series repeating one business week, zero on weekends."""
    kind = "count" if value == "count" else "amount"
    return DailySeries(START, np.tile(WEEK, weeks), kind)


def write_fake_bundle(directory: Path, series: DailySeries, horizon: int = 28) -> Path:
    """A complete bundle directory whose served model is seasonal naive (the model file is a placeholder)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "lstm.keras").write_bytes(b"placeholder: the LSTM is not served by this bundle")
    write_series(series, directory / SERIES_FILE)
    scores = GroupScores(all=SCORES, shifted=None, calm=SCORES, last=SCORES)
    report = ModelEvaluation(
        model="seasonal_naive",
        bands={band: scores for band in BANDS},
        vs_best_baseline={band: {"all": 0.0} for band in BANDS},
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
        evaluation=Evaluation(
            horizon=horizon,
            step_days=7,
            first_scored=START,
            last_scored=START,
            origins_scored=1,
            origins_shifted=0,
            warmup_days=0,
            lstm_refit_days=91,
            level_shift="test",
            combination_lookback=8,
            combination_power=1.0,
            models=[report],
        ),
        intervals=Intervals(
            level=0.8,
            gamma=0.05,
            window=100,
            alpha={band: 0.2 for band in BANDS[:3]},
            residuals={band: [-width, width] * 10 for band, width in RESIDUAL_WIDTH.items()},
            coverage={band: {"all": 0.8} for band in BANDS},
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
