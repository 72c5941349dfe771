"""Split-conformal prediction intervals from out-of-sample backtest residuals.

Residuals are taken in log1p space (``log1p(actual) - log1p(forecast)``), so an interval scales with the
level of the forecast, and grouped by horizon block (errors grow with the lead time) and by business day
(a weekend or holiday forecast near zero has much smaller errors than a weekday's).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from service.errors import DataError
from training.forecast.calendar import is_business_day

MIN_GROUP = 10
"""Groups with fewer residuals than this fall back to all residuals of the same day type."""


@dataclass(frozen=True)
class Residuals:
    """Log-space residuals with the lead time (1-based) and day type of each."""

    values: np.ndarray
    lead: np.ndarray
    business: np.ndarray

    @staticmethod
    def of(actual: np.ndarray, forecast: np.ndarray, first_day: dt.date) -> Residuals:
        """Residuals of one forecast whose first day is ``first_day``."""
        days = [first_day + dt.timedelta(days=i) for i in range(len(actual))]
        return Residuals(
            values=np.log1p(np.maximum(actual, 0.0)) - np.log1p(np.maximum(forecast, 0.0)),
            lead=np.arange(1, len(actual) + 1),
            business=np.array([is_business_day(d) for d in days]),
        )

    @staticmethod
    def concat(parts: list[Residuals]) -> Residuals:
        """All residuals of several forecasts."""
        if not parts:
            raise DataError("no residuals to calibrate intervals on")
        return Residuals(
            values=np.concatenate([p.values for p in parts]),
            lead=np.concatenate([p.lead for p in parts]),
            business=np.concatenate([p.business for p in parts]),
        )


def _conformal_quantile(values: np.ndarray, prob: float) -> float:
    """The finite-sample conformal quantile (rank ``ceil((n + 1) p)``, clipped to the sample)."""
    ordered = np.sort(values)
    n = len(ordered)
    # The epsilon keeps 0.1 * 100 at rank 10 despite (1 - 0.8) / 2 == 0.09999999999999998.
    upper_rank = min(n, math.ceil((n + 1) * prob - 1e-9))
    lower_rank = max(1, math.floor((n + 1) * prob + 1e-9))
    rank = upper_rank if prob >= 0.5 else lower_rank
    return float(ordered[rank - 1])


@dataclass(frozen=True)
class ConformalIntervals:
    """Lower/upper log-space offsets per (horizon block, business day) group."""

    level: float
    block_days: int
    lower: dict[str, float]
    upper: dict[str, float]

    @staticmethod
    def _key(block: int, business: bool) -> str:
        return f"{block}:{'business' if business else 'other'}"

    @classmethod
    def calibrate(cls, residuals: Residuals, level: float = 0.8, block_days: int = 30) -> ConformalIntervals:
        """Offsets so that a share ``level`` of residuals lies inside, per group."""
        if not 0 < level < 1:
            raise DataError(f"interval level must be in (0, 1), got {level}")
        tail = (1 - level) / 2
        lower: dict[str, float] = {}
        upper: dict[str, float] = {}
        blocks = (residuals.lead - 1) // block_days
        for business in (True, False):
            same_type = residuals.business == business
            if not same_type.any():
                same_type = np.ones_like(same_type)
            for block in range(int(blocks.max()) + 1):
                group = same_type & (blocks == block)
                values = residuals.values[group] if group.sum() >= MIN_GROUP else residuals.values[same_type]
                key = cls._key(block, business)
                # Never let an interval exclude its own point forecast.
                lower[key] = min(_conformal_quantile(values, tail), 0.0)
                upper[key] = max(_conformal_quantile(values, 1 - tail), 0.0)
        return cls(level=level, block_days=block_days, lower=lower, upper=upper)

    def apply(self, forecast: np.ndarray, first_day: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds for a forecast starting on ``first_day`` (beyond the last block: last block)."""
        last_block = max(int(k.split(":")[0]) for k in self.lower)
        lo = np.empty(len(forecast))
        hi = np.empty(len(forecast))
        for i, value in enumerate(forecast):
            key = self._key(min(i // self.block_days, last_block), is_business_day(first_day + dt.timedelta(days=i)))
            base = math.log1p(max(float(value), 0.0))
            lo[i] = max(math.expm1(base + self.lower[key]), 0.0)
            hi[i] = math.expm1(base + self.upper[key])
        return np.minimum(lo, forecast), np.maximum(hi, forecast)
