"""The LSTM's windows (numpy only): shapes, relative values, masked targets, closed days, the ETS input."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest

from core.errors import DataError
from training.forecast.baselines import HoltWinters
from training.forecast.series import DailySeries
from training.forecast.windows import (
    FUTURE_FEATURES,
    PAST_FEATURES,
    WindowSpec,
    closed_days_are_zero,
    fit_value_scaler,
    make_windows,
    to_values,
    training_origins,
)

MONDAY = dt.date(2024, 1, 1)
SPEC = WindowSpec(window=14, horizon=7, level_days=7)


def _series(values: np.ndarray, value: str = "count") -> DailySeries:
    return DailySeries(MONDAY, np.asarray(values, dtype=float), "count" if value == "count" else "amount")


def test_shapes_and_relative_values_of_a_constant_series() -> None:
    series = _series(np.full(40, 50.0))
    win = make_windows(series, SPEC, [14, 33, 40])
    assert win.past.shape == (3, 14, PAST_FEATURES) and win.future.shape == (3, 7, FUTURE_FEATURES)
    np.testing.assert_allclose(win.past[:, :, 0], np.log(1.1), atol=1e-6)  # every day equals the level
    np.testing.assert_allclose(win.level, 50.0)
    assert win.target is not None
    np.testing.assert_allclose(win.target[0], np.log(1.1), atol=1e-6)
    assert np.isnan(win.target[1, 7:]).all() and not np.isnan(win.target[1]).any()  # 33 + 7 = 40: all seen
    assert np.isnan(win.target[2]).all()  # the forecast origin: nothing observed yet
    np.testing.assert_allclose(to_values(win.target[0], float(win.level[0]), SPEC.offset), 50.0)


def test_future_features_know_weekdays_and_the_horizon_position() -> None:
    win = make_windows(_series(np.ones(30)), SPEC, [14], with_target=False)
    future = win.future[0]
    np.testing.assert_array_equal(future[:, :7].argmax(axis=1), [0, 1, 2, 3, 4, 5, 6])  # day 14 is a Monday
    np.testing.assert_allclose(future[:, -1], np.arange(7) / 7)


def test_the_scaler_only_sees_the_windows_it_is_given() -> None:
    values = np.concatenate([np.full(30, 10.0), np.full(30, 1000.0)])
    spec = fit_value_scaler(_series(values), SPEC, list(range(14, 30)))
    assert spec.value_mean == pytest.approx(np.log(1.1), abs=1e-6)  # the jump at day 30 is not in these windows
    assert spec.value_std == 1.0  # constant windows: no spread, the scaler falls back to 1


def test_zero_days_do_not_reveal_the_level() -> None:
    small = make_windows(_series(np.tile([10.0, 10, 10, 10, 10, 0, 0], 4)), SPEC, [28], with_target=False)
    large = make_windows(_series(np.tile([1e4, 1e4, 1e4, 1e4, 1e4, 0, 0], 4)), SPEC, [28], with_target=False)
    np.testing.assert_allclose(small.past, large.past, atol=1e-6)
    assert to_values(np.log(np.array([1.5, 0.1])), 1e4 * 5 / 7, 0.1).tolist() == pytest.approx([1e4, 0.0])


def test_too_short_history_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="too little history"):
        training_origins(_series(np.ones(20)), SPEC)
    with pytest.raises(DataError, match="needs 14 days of history"):
        make_windows(_series(np.ones(20)), SPEC, [10])


def test_closed_days_are_detected_only_when_always_zero() -> None:
    week = np.array([5.0, 6, 7, 8, 9, 0, 0])
    series = _series(np.tile(week, 10))
    # New Year, Martin Luther King Jr. Day and Washington's Birthday fall in these weeks: zero them too.
    values = series.values.copy()
    values[[0, 14, 49]] = 0
    assert closed_days_are_zero(_series(values))
    assert not closed_days_are_zero(series)  # a holiday with loans
    assert not closed_days_are_zero(_series(np.full(70, 3.0)))


def test_ets_input_is_the_relative_ets_forecast_from_the_history_before_the_origin() -> None:
    rng = np.random.default_rng(5)
    values = np.tile([50.0, 60, 55, 70, 65, 20, 10], 8) + rng.normal(0, 2, 56)
    spec = WindowSpec(window=14, horizon=7, level_days=7, value_mean=0.5, value_std=2.0, ets_input=True)
    win = make_windows(_series(values), spec, [35, 42], with_target=False)
    assert win.future.shape == (2, 7, FUTURE_FEATURES + 1) == (2, 7, spec.future_features)
    expected = (np.log(HoltWinters().forecast(_series(values[:35]), 7) / win.level[0] + 0.1) - 0.5) / 2.0
    np.testing.assert_allclose(win.future[0, :, -1], expected, rtol=1e-5)
    later = values.copy()
    later[35:] *= 10  # days from the origin on must not change the input
    np.testing.assert_array_equal(make_windows(_series(later), spec, [35], with_target=False).future[0], win.future[0])
    plain = make_windows(_series(values), replace(spec, ets_input=False), [35, 42], with_target=False)
    np.testing.assert_array_equal(plain.future, win.future[:, :, :-1])
    short = replace(spec, window=7, level_days=7)
    assert (short.min_history, replace(short, ets_input=False).min_history) == (16, 7)  # ETS fits on 16 days


def test_the_scaler_ignores_the_ets_input() -> None:
    values = np.tile([50.0, 60, 55, 70, 65, 20, 10], 8)
    plain = fit_value_scaler(_series(values), SPEC, list(range(14, 40)))
    with_ets = fit_value_scaler(_series(values), replace(SPEC, ets_input=True), list(range(14, 40)))
    assert (with_ets.value_mean, with_ets.value_std, with_ets.ets_input) == (plain.value_mean, plain.value_std, True)
