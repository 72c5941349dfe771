"""Metrics and baselines on synthetic series with known answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from core.errors import DataError
from training.forecast import baselines
from training.forecast.baselines import HoltWinters, Naive, SeasonalNaive
from training.forecast.metrics import coverage, mae, mase, mase_scale, smape
from training.forecast.series import DailySeries

WEEK = np.array([10.0, 20, 30, 40, 50, 5, 1])


def _series(values: np.ndarray) -> DailySeries:
    return DailySeries(dt.date(2020, 1, 6), np.asarray(values, dtype=float), "amount")


def test_mae_and_smape() -> None:
    actual, forecast = np.array([1.0, 2, 0, 4]), np.array([2.0, 2, 0, 0])
    assert mae(actual, forecast) == pytest.approx(5 / 4)
    # 2|1-2|/3, 0, both zero counts as exact, 2*4/4
    assert smape(actual, forecast) == pytest.approx((2 / 3 + 0 + 0 + 2) / 4 * 100)


def test_mase_scale_is_the_in_sample_weekly_naive_error() -> None:
    history = np.concatenate([WEEK, WEEK + 7])
    assert mase_scale(history) == pytest.approx(7.0)
    assert mase(np.array([10.0]), np.array([17.0]), 7.0) == pytest.approx(1.0)


def test_mase_is_undefined_on_too_little_or_perfectly_periodic_history() -> None:
    with pytest.raises(DataError, match="more than 7 days"):
        mase_scale(WEEK)
    with pytest.raises(DataError, match="undefined"):
        mase_scale(np.tile(WEEK, 3))


def test_coverage_counts_bounds_as_inside() -> None:
    assert coverage(np.array([1.0, 2, 3, 4]), np.array([1.0, 0, 4, 0]), np.array([1.0, 5, 5, 3])) == 0.5


def test_naive_and_seasonal_naive_repeat_the_right_days() -> None:
    history = _series(np.concatenate([WEEK, WEEK * 2]))
    np.testing.assert_array_equal(Naive().forecast(history, 3), [2, 2, 2])
    np.testing.assert_array_equal(SeasonalNaive().forecast(history, 9), np.resize(WEEK * 2, 9))


def test_ets_follows_trend_and_weekly_season() -> None:
    days = np.arange(140)
    truth = 100 + 0.5 * days + np.resize(WEEK, 140)
    forecast = HoltWinters(damped=False).forecast(_series(truth[:126]), 14)
    np.testing.assert_allclose(forecast, truth[126:], rtol=0.02)


def test_the_cached_ets_forecast_equals_a_fresh_fit_and_is_read_only() -> None:
    values = 100 + np.resize(WEEK, 70) + np.arange(70.0)
    cached = HoltWinters().forecast_values(values, 10)
    np.testing.assert_array_equal(cached, HoltWinters()._fit(values, 10))
    assert HoltWinters().forecast(_series(values.copy()), 10) is cached and not cached.flags.writeable
    assert HoltWinters().forecast_values(values[:-1], 10) is not cached
    assert HoltWinters(damped=False).forecast_values(values, 10) is not cached


def test_the_ets_cache_drops_its_oldest_entry_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(baselines, "ETS_CACHE_SIZE", 2)
    monkeypatch.setattr(baselines, "_ETS_CACHE", {})
    first, second, third = (100 + np.resize(WEEK, 40) * k for k in (1.0, 2.0, 3.0))
    kept = HoltWinters().forecast_values(first, 5)
    HoltWinters().forecast_values(second, 5)
    HoltWinters().forecast_values(third, 5)
    assert len(baselines._ETS_CACHE) == 2 and HoltWinters().forecast_values(first, 5) is not kept
    np.testing.assert_array_equal(HoltWinters().forecast_values(first, 5), kept)
