"""Combination weights from rolling errors: inverse-error weights, no look-ahead, and the move after a shift."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from core.errors import DataError
from training.forecast.calendar import is_business_day
from training.forecast.combination import (
    CombinationForecaster,
    CombinationRule,
    combine,
    inverse_error_weights,
    rolling_combination,
    weights_at,
)
from training.forecast.rolling import RollingForecasts, rolling_split
from training.forecast.series import DailySeries

START = dt.date(2021, 1, 4)  # a Monday


def test_inverse_error_weights() -> None:
    assert inverse_error_weights({"a": 1.0, "b": 3.0}, 1.0) == pytest.approx({"a": 0.75, "b": 0.25})
    assert inverse_error_weights({"a": 1.0, "b": 2.0}, 2.0) == pytest.approx({"a": 0.8, "b": 0.2})
    assert inverse_error_weights({"a": float("nan"), "b": float("nan")}, 1.0) == {"a": 0.5, "b": 0.5}
    assert inverse_error_weights({"a": 0.0, "b": 1.0}, 1.0)["a"] == pytest.approx(1.0)
    with pytest.raises(DataError):
        inverse_error_weights({}, 1.0)
    with pytest.raises(DataError):
        CombinationRule(lookback=0)


def _level_shift_case() -> RollingForecasts:
    """A series that drops from 100 to 60 on day 400: model 'old' always forecasts 100 (1 off before the
    drop, 40 after), model 'new' always forecasts the truth plus 5."""
    days = 600
    values = np.where(np.arange(days) < 400, 100.0, 60.0) + np.tile([1.0, -1.0], days // 2)
    series = DailySeries(START, values, "amount")
    split = rolling_split(days, 90, span_days=200, warmup_days=91, step=7, min_history=100)
    old = np.full((len(split.origins), 90), 100.0)
    new = np.stack([np.resize(values[o : o + 90], 90) + 5.0 for o in split.origins])
    return RollingForecasts(series, split, {"old": old, "new": new})


def test_weights_follow_the_model_that_follows_the_level_and_never_look_ahead() -> None:
    rolling = _level_shift_case()
    rule = CombinationRule(lookback=4)
    before = weights_at(rolling, ["old", "new"], 390, rule)
    assert before["1-7"]["old"] > 0.5, "before the drop the constant 100 forecast is the better one"
    five_weeks = weights_at(rolling, ["old", "new"], 435, rule)
    assert five_weeks["1-7"]["new"] > 0.85, "five weeks after the drop the short band has moved"
    # Forecasts made before the drop whose days 31-90 fell after it are complete too: that band moved as well.
    assert five_weeks["31-90"]["new"] > before["31-90"]["new"]
    # Changing the data after an origin does not change the weights used at that origin.
    changed = RollingForecasts(
        DailySeries(START, np.concatenate([rolling.series.values[:435], np.zeros(165)]), "amount"),
        rolling.split,
        rolling.forecasts,
    )
    assert weights_at(changed, ["old", "new"], 435, rule) == five_weeks


def test_rolling_combination_mixes_per_band_and_beats_the_stale_model_after_the_shift() -> None:
    rolling = _level_shift_case()
    combined = rolling_combination(rolling, ["old", "new"], CombinationRule(lookback=4))
    assert combined.shape == rolling.forecasts["old"].shape
    after = [i for i, o in enumerate(rolling.split.origins) if 460 <= o <= 500]
    for i in after:
        actual = rolling.actual(i)[:7]
        assert np.abs(combined[i][:7] - actual).mean() < np.abs(rolling.forecasts["old"][i][:7] - actual).mean() / 3


def test_combine_and_the_served_combination() -> None:
    forecasts = {"a": np.full(90, 10.0), "b": np.full(90, 20.0)}
    weights = {"1-7": {"a": 1.0, "b": 0.0}, "8-30": {"a": 0.5, "b": 0.5}, "31-90": {"a": 0.0, "b": 1.0}}
    out = combine(forecasts, weights, 90)
    assert out[0] == 10.0 and out[7] == 15.0 and out[89] == 20.0

    class Constant:
        def __init__(self, value: float) -> None:
            self.name, self.value = "c", value

        def forecast(self, history: DailySeries, horizon: int) -> np.ndarray:
            return np.full(horizon, self.value)

    served = CombinationForecaster({"a": Constant(10.0), "b": Constant(20.0)}, weights)
    history = DailySeries(START, np.arange(1.0, 101.0), "amount")
    np.testing.assert_array_equal(served.forecast(history, 90), out)
    open_days = [is_business_day(START + dt.timedelta(days=i)) for i in range(140)]
    closed = DailySeries(START, np.where(open_days, 5.0, 0.0), "count")
    weekend = served.forecast(closed, 90)
    assert weekend[5] == 0 and weekend[6] == 0 and weekend[0] == 10.0, "a history never open on weekends"
