"""Reference residuals for intervals: weekly origins, only forecasts complete before a target, a clear error."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from service.errors import DataError
from training.forecast.calibration import MIN_HISTORY, SPAN_DAYS, STEP_DAYS, ReferenceResiduals
from training.forecast.intervals import ConformalIntervals
from training.forecast.series import DailySeries

START = dt.date(2023, 1, 2)


class Flat:
    """Forecasts 100 a day whatever the history (a fast stand-in for ETS)."""

    name = "flat"

    def forecast(self, history: DailySeries, horizon: int) -> np.ndarray:
        return np.full(horizon, 100.0)


def _series(days: int, seed: int = 0) -> DailySeries:
    rng = np.random.default_rng(seed)
    return DailySeries(START, 100.0 * np.exp(rng.normal(0, 0.3, days)), "amount")


def test_origins_are_weekly_within_the_span_and_complete_before_the_target() -> None:
    series = _series(600)
    ref = ReferenceResiduals.compute(series, 30, [500, 530], reference=Flat())
    assert max(ref.forecasts) == 500 and min(ref.forecasts) >= max(MIN_HISTORY, 500 - SPAN_DAYS)
    assert set(np.diff(sorted(ref.forecasts))) == {STEP_DAYS}
    origins = ref.origins_before(500)
    assert origins and all(q >= 500 - SPAN_DAYS and q + 30 <= 500 for q in origins)
    assert len(ref.before(500).values) == 30 * len(origins)
    assert ref.describe(530).startswith(f"flat forecasts from {len(ref.origins_before(530))} weekly origins")


def test_residuals_before_a_target_do_not_depend_on_later_days() -> None:
    series = _series(400)
    changed = DailySeries(START, np.concatenate([series.values[:300], series.values[300:] * 5]), "amount")
    a = ReferenceResiduals.compute(series, 28, [300, 400], reference=Flat()).before(300)
    b = ReferenceResiduals.compute(changed, 28, [300, 400], reference=Flat()).before(300)
    np.testing.assert_array_equal(a.values, b.values)


def test_intervals_from_reference_residuals_cover_about_the_level() -> None:
    series = _series(800, seed=4)
    ref = ReferenceResiduals.compute(series, 28, [700], reference=Flat())
    bands = ConformalIntervals.calibrate(ref.before(700), 0.8)
    lower, upper = bands.apply(np.full(100, 100.0), series.date_at(700))
    inside = (series.values[700:] >= lower) & (series.values[700:] <= upper)
    assert 0.7 <= inside.mean() <= 0.9


def test_no_complete_forecast_before_the_target_is_a_clear_error() -> None:
    ref = ReferenceResiduals.compute(_series(120), 28, [50, 120], reference=Flat())
    assert ref.origins_before(50) == []  # the first origin is MIN_HISTORY days in, its forecast ends after 50
    with pytest.raises(DataError, match="no flat forecasts complete before 2023-02-21"):
        ref.before(50)
