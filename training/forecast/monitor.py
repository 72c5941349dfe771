"""Whether the served forecast is off: the forecasts it served, scored against the days that arrived since.

The service records the forecast it serves from each origin (the latest one before that origin's first
day started). Once a day is complete (a later day has loans), every recorded forecast that covered it is
scored: absolute error and whether the day fell inside the interval, per horizon band, over the last
``window_days`` complete days. The same days update the adaptive intervals (:mod:`adaptive`), so the next
intervals widen after misses and narrow in calm weeks.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

from core.errors import DataError
from schemas.forecast import BandName
from training.forecast.adaptive import AdaptiveIntervals, log_residuals
from training.forecast.metrics import mase_scale
from training.forecast.rolling import BANDS, band_of
from training.forecast.series import DailySeries

WINDOW_DAYS = 28
KEEP_ORIGINS = 120
"""Recorded forecasts kept (one per origin day), enough for every lead of a 90-day horizon."""


def error_scale(values: np.ndarray) -> float:
    """The MASE scale of a training series; its mean (at least 1) when undefined (an exactly weekly history)."""
    try:
        return mase_scale(values)
    except DataError:
        return max(float(np.mean(np.abs(values))), 1.0)


@dataclass(frozen=True)
class BandAccuracy:
    """Recent accuracy of one horizon band: days scored, MAE, MAE over the MASE scale, interval coverage."""

    band: BandName
    days: int
    mae: float | None
    scaled_error: float | None
    coverage: float | None


@dataclass
class _Issued:
    forecast: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    scored: int = 0


class ForecastMonitor:
    """Thread-safe record of served forecasts and their rolling accuracy."""

    def __init__(self, scale: float, intervals: AdaptiveIntervals, window_days: int = WINDOW_DAYS) -> None:
        self._scale = scale
        self._intervals = intervals
        self._window_days = window_days
        self._issued: dict[dt.date, _Issued] = {}
        self._seen: deque[tuple[dt.date, str, float, bool]] = deque()
        self._lock = threading.Lock()

    def issue(self, first_day: dt.date, forecast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The interval of a forecast served from ``first_day``, remembered with it (replacing an earlier
        forecast from the same day) to be scored once its days arrive."""
        with self._lock:
            lower, upper = self._intervals.bounds(forecast)
            self._issued[first_day] = _Issued(np.asarray(forecast, dtype=np.float64), lower, upper)
            for day in sorted(self._issued)[:-KEEP_ORIGINS]:
                del self._issued[day]
        return lower, upper

    def observe(self, series: DailySeries) -> int:
        """Score every recorded forecast on the complete days of ``series`` (all but its last, which may still
        be in progress) not scored yet; returns how many (forecast, day) pairs were new."""
        residuals: dict[str, list[float]] = {b.name: [] for b in BANDS}
        misses: dict[str, list[bool]] = {b.name: [] for b in BANDS}
        with self._lock:
            for first_day, issued in self._issued.items():
                offset = (first_day - series.start).days
                complete = min(len(issued.forecast), len(series) - 1 - offset)
                for k in range(max(issued.scored, -offset), complete):
                    actual = float(series.values[offset + k])
                    band = band_of(k + 1).name
                    inside = bool(issued.lower[k] <= actual <= issued.upper[k])
                    self._seen.append(
                        (first_day + dt.timedelta(days=k), band, abs(actual - issued.forecast[k]), inside)
                    )
                    residuals[band].append(float(log_residuals(np.array([actual]), issued.forecast[k : k + 1])[0]))
                    misses[band].append(not inside)
                issued.scored = max(issued.scored, complete)
            horizon = series.end - dt.timedelta(days=self._window_days)
            self._seen = deque(s for s in self._seen if s[0] >= horizon)
            for name, values in residuals.items():
                self._intervals.update(name, np.array(values), np.array(misses[name]) if values else None)
        return sum(len(v) for v in residuals.values())

    def accuracy(self) -> list[BandAccuracy]:
        """Per band, the accuracy over the scored days of the last ``window_days``."""
        with self._lock:
            seen = list(self._seen)
        out = []
        for band in BANDS:
            rows = [(err, inside) for _, b, err, inside in seen if b == band.name]
            if not rows:
                out.append(BandAccuracy(band.name, 0, None, None, None))
                continue
            mae = float(np.mean([r[0] for r in rows]))
            out.append(BandAccuracy(band.name, len(rows), mae, mae / self._scale, float(np.mean([r[1] for r in rows]))))
        return out
