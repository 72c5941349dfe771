"""The forecasting service core (no TensorFlow here): a loaded bundle plus the current daily series.

It keeps the series current from ``loans.created`` events and answers ``forecast(days)``. HTTP, the Kafka
consumer of ``loans.created`` and the publisher of ``loans.forecast`` are thin layers on top of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from core.errors import ConfigError
from schemas.common import utc_now
from schemas.loans import ForecastEvent, ForecastPoint, LoanRecord
from training.forecast.bundle import ForecastBundle, load_bundle
from training.forecast.monitor import BandAccuracy, ForecastMonitor, error_scale
from training.forecast.series import DailySeries, to_utc_day

logger = logging.getLogger(__name__)


class LoanUpdate(NamedTuple):
    """What :meth:`ForecastService.add_loans` did with a batch of loan events."""

    added: int
    too_old: int
    missing_amount: list[str]


class ForecastService:
    """Thread-safe: events may arrive on a consumer thread while HTTP handlers ask for forecasts."""

    def __init__(self, bundle: ForecastBundle, series: DailySeries | None = None) -> None:
        self.bundle = bundle
        self._series = series or bundle.series
        if self._series.value != bundle.manifest.value:
            raise ConfigError(f"series of {self._series.value} given to a {bundle.manifest.value} forecaster")
        self._lock = threading.Lock()
        self._cached: tuple[DailySeries, list[ForecastPoint]] | None = None
        self.monitor = ForecastMonitor(error_scale(bundle.series.values), bundle.intervals)

    @classmethod
    def from_directory(cls, directory: Path, threads: int = 0) -> ForecastService:
        """Load a bundle directory and serve the series it was trained on."""
        return cls(load_bundle(directory, threads))

    @property
    def horizon(self) -> int:
        """The most days one forecast may cover."""
        return self.bundle.manifest.horizon

    @property
    def series(self) -> DailySeries:
        """The current daily series (a snapshot)."""
        with self._lock:
            return self._series

    def forecast(self, days: int) -> list[ForecastPoint]:
        """The next ``days`` days after the series' last day, each with its prediction interval."""
        if not 1 <= days <= self.horizon:
            raise ConfigError(f"days must be between 1 and {self.horizon}, got {days}")
        series = self.series
        cached = self._cached
        if cached is None or cached[0] is not series:
            cached = (series, self._compute(series))
            self._cached = cached
        return cached[1][:days]

    def forecast_event(self, days: int) -> ForecastEvent:
        """The forecast as the ``loans.forecast`` event (also the HTTP response body)."""
        manifest = self.bundle.manifest
        return ForecastEvent(
            model_version=manifest.version,
            value=manifest.value,
            interval_level=manifest.intervals.level,
            generated_at=utc_now(),
            points=self.forecast(days),
        )

    def _compute(self, series: DailySeries) -> list[ForecastPoint]:
        point = self.bundle.forecaster.forecast(series, self.horizon)
        first = series.end + dt.timedelta(days=1)
        lower, upper = self.monitor.issue(first, point)
        return [
            ForecastPoint(date=first + dt.timedelta(days=i), forecast=float(f), lower=float(lo), upper=float(hi))
            for i, (f, lo, hi) in enumerate(zip(point, lower, upper, strict=True))
        ]

    def check_accuracy(self) -> list[BandAccuracy]:
        """Score the served forecasts on the days completed since (adapting the intervals); per band."""
        self.monitor.observe(self.series)
        return self.monitor.accuracy()

    def add_loans(self, records: Sequence[LoanRecord]) -> int:
        """Fold new loan events into the series; returns how many were used (see :meth:`update`)."""
        return self.update(records).added

    def update(self, records: Iterable[LoanRecord]) -> LoanUpdate:
        """Add loans to their UTC days, extending the series with zero days as needed.

        The series ends on the latest day seen, so the next forecast starts the day after it (a day still
        in progress counts as it stands). Loans before the series' first day are counted as ``too_old``;
        an amount forecaster cannot use a loan without an amount: their ids come back for the caller to
        dead-letter.
        """
        value = self.bundle.manifest.value
        totals: dict[dt.date, float] = {}
        added = too_old = 0
        missing: list[str] = []
        with self._lock:
            series = self._series
            for record in records:
                if value == "amount" and record.amount is None:
                    missing.append(record.loan_id)
                    continue
                day = to_utc_day(record.created_at)
                if day < series.start:
                    too_old += 1
                    continue
                totals[day] = totals.get(day, 0.0) + (float(record.amount or 0.0) if value == "amount" else 1.0)
                added += 1
            if totals:
                last = max(max(totals), series.end)
                values = np.zeros((last - series.start).days + 1)
                values[: len(series)] = series.values
                for day, total in totals.items():
                    values[(day - series.start).days] += total
                self._series = DailySeries(series.start, values, series.value)
        if too_old:
            logger.warning("%d loans precede the series start %s and were ignored", too_old, series.start)
        return LoanUpdate(added=added, too_old=too_old, missing_amount=missing)
