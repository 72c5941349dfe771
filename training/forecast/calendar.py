"""Calendar features known in advance: day of week and US Federal Reserve business days."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

N_FEATURES = 8
"""Seven one-hot day-of-week columns (Monday first) and one business-day flag."""
BUSINESS_DAY = 7
"""Column of the business-day flag."""


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th ``weekday`` (0 = Monday) of a month; ``n = -1`` is the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _sunday_to_monday(day: dt.date) -> dt.date:
    # The Federal Reserve moves a Sunday holiday to Monday but does not close on the Friday before a
    # Saturday holiday: the originations data are non-zero on 2010-12-24 and 2010-12-31.
    return day + dt.timedelta(days=1) if day.weekday() == 6 else day


@lru_cache(maxsize=256)
def federal_reserve_holidays(year: int) -> frozenset[dt.date]:
    """The days the US Federal Reserve (and so a US lender's funding) is closed in ``year``."""
    fixed = [(1, 1), (7, 4), (11, 11), (12, 25)]
    if year >= 2022:
        fixed.append((6, 19))
    days = {_sunday_to_monday(dt.date(year, m, d)) for m, d in fixed}
    days |= {
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving
    }
    return frozenset(days)


def is_business_day(day: dt.date) -> bool:
    """Monday to Friday and not a Federal Reserve holiday."""
    return day.weekday() < 5 and day not in federal_reserve_holidays(day.year)


def calendar_features(start: dt.date, days: int) -> np.ndarray:
    """A ``(days, 8)`` float32 matrix of calendar features for ``days`` consecutive days from ``start``."""
    out = np.zeros((days, N_FEATURES), dtype=np.float32)
    for i in range(days):
        day = start + dt.timedelta(days=i)
        out[i, day.weekday()] = 1.0
        out[i, BUSINESS_DAY] = 1.0 if is_business_day(day) else 0.0
    return out
