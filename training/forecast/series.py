"""Loan records summed or counted per UTC calendar day, with missing days as zero."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from core.errors import DataError
from core.textfiles import csv_rows

ValueKind = Literal["amount", "count"]
VALUE_KINDS: tuple[ValueKind, ...] = ("amount", "count")


@dataclass(frozen=True)
class DailySeries:
    """One value per consecutive calendar day from ``start``; the last day is ``end``."""

    start: dt.date
    values: np.ndarray
    value: ValueKind

    def __post_init__(self) -> None:
        if self.values.ndim != 1 or len(self.values) == 0:
            raise DataError("a daily series needs at least one day")

    def __len__(self) -> int:
        return len(self.values)

    @property
    def end(self) -> dt.date:
        """The last day of the series."""
        return self.start + dt.timedelta(days=len(self.values) - 1)

    def date_at(self, index: int) -> dt.date:
        """The calendar day of position ``index``."""
        return self.start + dt.timedelta(days=index)

    def dates(self) -> list[dt.date]:
        """Every day of the series, in order."""
        return [self.date_at(i) for i in range(len(self.values))]

    def head(self, days: int) -> DailySeries:
        """The first ``days`` days (the history before a backtest origin)."""
        if not 0 < days <= len(self.values):
            raise DataError(f"cannot take {days} days of a {len(self.values)}-day series")
        return DailySeries(self.start, self.values[:days].copy(), self.value)


def to_utc_day(timestamp: dt.datetime) -> dt.date:
    """The UTC calendar day of a timestamp; naive timestamps are taken to be UTC already."""
    if timestamp.tzinfo is not None:
        timestamp = timestamp.astimezone(dt.UTC)
    return timestamp.date()


def parse_timestamp(text: str) -> dt.datetime:
    """ISO 8601 date or date-time (``2006-06-27 21:22:48.847``, ``2013-12-11``, ``...+02:00``, ``...Z``)."""
    return dt.datetime.fromisoformat(text.strip())


def aggregate_daily(
    records: Iterable[tuple[dt.datetime, float]], value: ValueKind, end: dt.date | None = None
) -> DailySeries:
    """Sum (``amount``) or count (``count``) records per UTC day; any order, gaps become zero days.

    ``end`` extends the series with zero days up to that day (e.g. "today" when nothing was lent lately).
    """
    totals: dict[dt.date, float] = {}
    for timestamp, amount in records:
        day = to_utc_day(timestamp)
        totals[day] = totals.get(day, 0.0) + (amount if value == "amount" else 1.0)
    if not totals:
        raise DataError("no loan records to aggregate")
    first, last = min(totals), max(totals)
    if end is not None:
        if end < last:
            raise DataError(f"end {end} is before the last record's day {last}")
        last = end
    values = np.zeros((last - first).days + 1, dtype=np.float64)
    for day, total in totals.items():
        values[(day - first).days] = total
    return DailySeries(first, values, value)


def read_loan_records(path: Path, value: ValueKind) -> list[tuple[dt.datetime, float]]:
    """Read ``created_at`` (and ``amount`` when summing) from a CSV file, with line numbers in every error."""
    needed = ["created_at", "amount"] if value == "amount" else ["created_at"]
    records = []
    total = 0.0
    for line, row in enumerate(csv_rows(path, needed, "loans file"), start=2):
        try:
            timestamp = parse_timestamp(row["created_at"] or "")
            to_utc_day(timestamp)  # a time whose UTC day leaves the calendar fails here, not later
            amount = float(row["amount"]) if value == "amount" else 1.0
        except (TypeError, ValueError, OverflowError) as exc:
            raise DataError(f"{path}:{line}: cannot read the record: {exc}") from exc
        if not np.isfinite(amount) or amount < 0:
            raise DataError(f"{path}:{line}: amount must be a finite number >= 0, got {row['amount']!r}")
        total += amount
        if not np.isfinite(total):
            raise DataError(f"{path}:{line}: the amounts add up to more than a number can hold")
        records.append((timestamp, amount))
    if not records:
        raise DataError(f"{path}: no loan records (only a header)")
    return records


def load_daily_series(path: Path, value: ValueKind) -> DailySeries:
    """The daily series of a loans CSV file."""
    return aggregate_daily(read_loan_records(path, value), value)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
