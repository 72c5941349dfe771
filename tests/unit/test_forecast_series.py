"""Daily aggregation of loan records: gaps, order, time zones and unreadable files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from core.errors import DataError
from training.forecast.series import aggregate_daily, load_daily_series, to_utc_day


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "loans.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_days_are_zero_and_input_order_does_not_matter(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "created_at,amount\n2020-01-05 10:00:00,50\n2020-01-01 09:00:00,100\n2020-01-01 23:59:59,25.5\n",
    )
    series = load_daily_series(path, "amount")
    assert series.start == dt.date(2020, 1, 1) and series.end == dt.date(2020, 1, 5)
    np.testing.assert_array_equal(series.values, [125.5, 0, 0, 0, 50])


def test_count_needs_only_created_at(tmp_path: Path) -> None:
    path = _csv(tmp_path, "created_at\n2013-12-11\n2013-12-09\n2013-12-11\n")
    series = load_daily_series(path, "count")
    np.testing.assert_array_equal(series.values, [1, 0, 2])
    assert series.value == "count"


def test_aware_timestamps_land_on_their_utc_day_and_naive_ones_are_utc(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "created_at,amount\n"
        "2020-03-01T20:30:00-05:00,1\n"  # 01:30 UTC on 2 March
        "2020-03-02T00:30:00+02:00,2\n"  # 22:30 UTC on 1 March
        "2020-03-01T12:00:00Z,4\n"
        "2020-03-02 12:00:00,8\n",
    )
    series = load_daily_series(path, "amount")
    assert series.start == dt.date(2020, 3, 1)
    np.testing.assert_array_equal(series.values, [6, 9])


def test_to_utc_day_converts_aware_and_keeps_naive() -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert to_utc_day(dt.datetime(2021, 1, 1, 3, 0, tzinfo=tokyo)) == dt.date(2020, 12, 31)
    assert to_utc_day(dt.datetime(2021, 1, 1, 3, 0)) == dt.date(2021, 1, 1)


def test_end_extends_with_zero_days() -> None:
    series = aggregate_daily([(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), 3.0)], "amount", end=dt.date(2020, 1, 3))
    np.testing.assert_array_equal(series.values, [3, 0, 0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "missing column(s) created_at, amount; columns found: none (empty file)"),
        ("created_at,amount\n", "no loan records (only a header)"),
        ("when,amount\n2020-01-01,5\n", "missing column(s) created_at"),
        ("created_at\n2020-01-01\n", "missing column(s) amount"),
        ("created_at,amount\n2020-01-01,5\nyesterday,3\n", ":3: cannot read the record"),
        ("created_at,amount\n2020-01-01,-5\n", "amount must be a finite number >= 0"),
        ("created_at,amount\n2020-01-01,\n", ":2: cannot read the record"),
    ],
)
def test_unreadable_files_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match=None) as info:
        load_daily_series(_csv(tmp_path, text), "amount")
    assert message in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="loans file not found"):
        load_daily_series(tmp_path / "nope.csv", "count")


def test_no_records_is_an_error() -> None:
    with pytest.raises(DataError, match="no loan records"):
        aggregate_daily([], "count")


def test_shared_series_have_the_documented_spans(data_dir: Path) -> None:
    amounts = load_daily_series(data_dir / "loans" / "prosper_loans.csv", "amount")
    counts = load_daily_series(data_dir / "loans" / "prosper_originations.csv", "count")
    assert (amounts.start, amounts.end, len(amounts)) == (dt.date(2006, 6, 27), dt.date(2008, 7, 2), 737)
    assert (counts.start, counts.end, len(counts)) == (dt.date(2009, 7, 20), dt.date(2013, 12, 11), 1606)
    assert counts.values.sum() == 69_513
    assert (amounts.values > 0).all()
