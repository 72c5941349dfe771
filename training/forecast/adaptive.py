"""Adaptive conformal intervals per horizon band (Gibbs & Candès 2021, "Adaptive conformal inference").

Each band keeps its most recent out-of-sample residuals, ``log1p(actual) - log1p(forecast)``, so an
interval scales with the forecast, and a working miscoverage rate ``alpha``. The interval of a forecast
takes the ``alpha/2`` and ``1 - alpha/2`` quantiles of the band's residuals. Whenever observed days come
in, ``alpha += gamma * (target - share of those days outside their interval)``: after a level shift the
misses push ``alpha`` down and the intervals widen; in calm weeks they narrow again. ``gamma`` applies to
each batch of newly observed days (a week in the rolling evaluation, a consumer batch in the service).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.errors import DataError
from training.forecast.rolling import BANDS, band_of, scored_bands

MIN_RESIDUALS = 20
"""A band with fewer residuals borrows all bands' residuals; with none at all there is no interval yet."""


def log_residuals(actual: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """``log1p(actual) - log1p(forecast)``, negative values clipped to 0 first."""
    return np.asarray(np.log1p(np.maximum(actual, 0.0)) - np.log1p(np.maximum(forecast, 0.0)), dtype=np.float64)


@dataclass
class AdaptiveIntervals:
    """Per-band residual windows and working miscoverage rates; :meth:`bounds` and :meth:`update`."""

    level: float = 0.8
    gamma: float = 0.05
    window: int = 1000
    alpha: dict[str, float] = field(default_factory=dict)
    residuals: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.level < 1 or self.gamma < 0 or self.window < 1:
            raise DataError(f"invalid adaptive interval settings: level {self.level}, gamma {self.gamma}")
        for band in BANDS:
            self.alpha.setdefault(band.name, 1.0 - self.level)
            self.residuals.setdefault(band.name, [])

    @property
    def target(self) -> float:
        """The miscoverage rate aimed at (0.2 for 80% intervals)."""
        return 1.0 - self.level

    def ready(self) -> bool:
        """True once any residual is known (before that, :meth:`bounds` gives no interval)."""
        return any(self.residuals.values())

    def _offsets(self, band: str) -> tuple[float, float]:
        own = self.residuals[band]
        values = np.asarray(own if len(own) >= MIN_RESIDUALS else [r for rs in self.residuals.values() for r in rs])
        if len(values) == 0:
            raise DataError("no residuals to set an interval from yet")
        alpha = min(max(self.alpha[band], 0.0), 1.0)  # alpha <= 0: the widest interval the residuals give
        low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2], method="higher")
        return min(float(low), 0.0), max(float(high), 0.0)  # never exclude the point forecast itself

    def bounds(self, forecast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds for a forecast whose position 0 is one day ahead."""
        lower, upper = np.empty(len(forecast)), np.empty(len(forecast))
        offsets = {band.name: self._offsets(band.name) for band in BANDS}
        for i, value in enumerate(forecast):
            low, high = offsets[band_of(i + 1).name]
            base = math.log1p(max(float(value), 0.0))
            lower[i] = max(math.expm1(base + low), 0.0)
            upper[i] = math.expm1(base + high)
        return np.minimum(lower, forecast), np.maximum(upper, forecast)

    def update(self, band: str, residuals: np.ndarray, misses: np.ndarray | None) -> None:
        """Learn from newly observed days of ``band``: keep their residuals, move ``alpha`` by their misses.

        ``misses`` (True where the day fell outside the interval issued with its forecast) is None for days
        forecast before any interval existed: they add residuals but do not move ``alpha``.
        """
        if len(residuals) == 0:
            return
        if misses is not None and len(misses):
            self.alpha[band] += self.gamma * (self.target - float(np.mean(misses)))
        kept = self.residuals[band]
        kept.extend(float(r) for r in residuals)
        del kept[: max(0, len(kept) - self.window)]


@dataclass(frozen=True)
class IntervalRun:
    """Intervals issued at every origin of a rolling run (NaN before any residual) and their coverage."""

    lower: np.ndarray
    upper: np.ndarray
    coverage: dict[str, dict[str, float | None]]
    """Band (and ``whole``) -> group (all, shifted, calm, last) -> share of scored days inside."""


def run_adaptive(
    values: np.ndarray,
    origins: list[int],
    forecasts: np.ndarray,
    groups: dict[str, list[int]],
    intervals: AdaptiveIntervals,
) -> IntervalRun:
    """Replay a rolling run in time order: before each origin, learn from every day observed since the
    previous one; then issue that origin's interval. ``groups`` names the origin indices to score
    (``all``, ``shifted`` ...). ``intervals`` ends up learned from every observed day of ``values``."""
    n, horizon = forecasts.shape
    lower, upper = np.full((n, horizon), np.nan), np.full((n, horizon), np.nan)
    learned = [0] * n
    lead_band = [band_of(k + 1).name for k in range(horizon)]

    def learn(until: int) -> None:
        res: dict[str, list[float]] = {b.name: [] for b in BANDS}
        miss: dict[str, list[bool]] = {b.name: [] for b in BANDS}
        for j, origin in enumerate(origins):
            for k in range(learned[j], max(learned[j], min(horizon, until - origin))):
                actual = values[origin + k]
                res[lead_band[k]].append(float(log_residuals(np.array([actual]), forecasts[j, k : k + 1])[0]))
                if not np.isnan(lower[j, k]):
                    miss[lead_band[k]].append(not lower[j, k] <= actual <= upper[j, k])
            learned[j] = max(learned[j], min(horizon, until - origin))
        for band in res:
            intervals.update(band, np.array(res[band]), np.array(miss[band]) if miss[band] else None)

    for i, origin in enumerate(origins):
        learn(origin)
        if intervals.ready():
            lower[i], upper[i] = intervals.bounds(forecasts[i])
    learn(len(values))
    coverage: dict[str, dict[str, float | None]] = {}
    for band in scored_bands(horizon):
        leads = band.leads(horizon)
        coverage[band.name] = {}
        for group, rows in groups.items():
            inside = [
                (values[origins[i] : origins[i] + horizon][leads] >= lower[i][leads])
                & (values[origins[i] : origins[i] + horizon][leads] <= upper[i][leads])
                for i in rows
                if not np.isnan(lower[i, 0])
            ]
            coverage[band.name][group] = float(np.mean(np.concatenate(inside))) if inside else None
    return IntervalRun(lower, upper, coverage)
