"""Conformal intervals: calibration on known residuals, ordering and shape of the bounds, coverage."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from training.forecast.intervals import ConformalIntervals, Residuals

MONDAY = dt.date(2024, 1, 8)


def test_residuals_are_log1p_differences_with_lead_and_day_type() -> None:
    res = Residuals.of(np.array([0.0, np.e - 1, 3.0]), np.array([0.0, 0.0, 3.0]), dt.date(2024, 1, 12))
    np.testing.assert_allclose(res.values, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(res.lead, [1, 2, 3])
    np.testing.assert_array_equal(res.business, [True, False, False])  # Friday, Saturday, Sunday


def test_calibration_matches_the_conformal_quantiles() -> None:
    values = np.linspace(-1, 1, 99)
    res = Residuals(values, np.ones(99, dtype=int), np.ones(99, dtype=bool))
    bands = ConformalIntervals.calibrate(res, level=0.8, block_days=30)
    # rank floor(100 * 0.1) = 10 and ceil(100 * 0.9) = 90 of 99 sorted values
    assert bands.lower["0:business"] == pytest.approx(values[9])
    assert bands.upper["0:business"] == pytest.approx(values[89])


def test_bounds_are_ordered_nonnegative_and_shaped_like_the_forecast() -> None:
    rng = np.random.default_rng(1)
    lead = np.tile(np.arange(1, 61), 5)
    res = Residuals(rng.normal(0, 0.3, 300) * np.sqrt(lead / 30), lead, rng.random(300) < 0.7)
    bands = ConformalIntervals.calibrate(res, level=0.8, block_days=30)
    forecast = np.concatenate([np.zeros(5), rng.uniform(10, 1000, 85)])
    lower, upper = bands.apply(forecast, MONDAY)
    assert lower.shape == upper.shape == forecast.shape
    assert (lower >= 0).all()
    assert (lower <= forecast).all() and (forecast <= upper).all()
    width = (upper - lower) / np.maximum(forecast, 1)
    assert width[60:].mean() > width[5:30].mean()  # later blocks are wider, as their residuals are


def test_coverage_on_exchangeable_errors_is_close_to_the_level() -> None:
    rng = np.random.default_rng(2)
    days, origins = 90, 40
    forecast = np.full(days, 200.0)
    first = MONDAY
    calib = [Residuals.of(forecast * np.exp(rng.normal(0, 0.2, days)), forecast, first) for _ in range(origins)]
    bands = ConformalIntervals.calibrate(Residuals.concat(calib), 0.8)
    lower, upper = bands.apply(forecast, first)
    hits = [np.mean((a >= lower) & (a <= upper)) for a in (forecast * np.exp(rng.normal(0, 0.2, (200, days))))]
    assert 0.75 < float(np.mean(hits)) < 0.85
