"""Federal Reserve business days: the weekday zeros of the originations series, known in advance."""

from __future__ import annotations

import datetime as dt

import numpy as np

from training.forecast.calendar import calendar_features, federal_reserve_holidays, is_business_day


def test_holidays_of_2013() -> None:
    expected = {
        dt.date(2013, 1, 1),
        dt.date(2013, 1, 21),
        dt.date(2013, 2, 18),
        dt.date(2013, 5, 27),
        dt.date(2013, 7, 4),
        dt.date(2013, 9, 2),
        dt.date(2013, 10, 14),
        dt.date(2013, 11, 11),
        dt.date(2013, 11, 28),
        dt.date(2013, 12, 25),
    }
    assert federal_reserve_holidays(2013) == expected


def test_sunday_holidays_move_to_monday_saturday_ones_do_not_move() -> None:
    assert not is_business_day(dt.date(2011, 12, 26))  # Christmas 2011 was a Sunday
    assert is_business_day(dt.date(2010, 12, 24))  # Christmas 2010 was a Saturday: Friday stays open
    assert not is_business_day(dt.date(2010, 12, 25))


def test_juneteenth_only_from_2022() -> None:
    assert is_business_day(dt.date(2021, 6, 18))
    assert not is_business_day(dt.date(2024, 6, 19))


def test_features_are_one_hot_weekday_and_business_flag() -> None:
    feats = calendar_features(dt.date(2013, 12, 23), 4)  # Mon .. Thu, Christmas on Wednesday
    assert feats.shape == (4, 8)
    np.testing.assert_array_equal(feats[:, :7].sum(axis=1), 1)
    np.testing.assert_array_equal(feats[:, :7].argmax(axis=1), [0, 1, 2, 3])
    np.testing.assert_array_equal(feats[:, 7], [1, 1, 0, 1])
