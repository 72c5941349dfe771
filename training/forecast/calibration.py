"""Interval calibration residuals: a year of weekly rolling-origin ETS forecasts before each forecast origin.

The LSTM is refit only at the few backtest origins, whose residuals cover five months at most and miss
the level shifts of the year before; with them, the intervals covered 66% of the amounts days and 49% of
the last originations fold. Holt-Winters ETS refits in a fraction of a second, so it is forecast from an
origin every week, and its log1p residuals over the 365 days before an origin set the width of every
model's interval (ETS errs a little more than the LSTM on both shared series, so they lean wide).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from service.errors import DataError
from training.forecast.baselines import HoltWinters
from training.forecast.intervals import Residuals
from training.forecast.models import Forecaster
from training.forecast.series import DailySeries

SPAN_DAYS = 365
STEP_DAYS = 7
MIN_HISTORY = 28
"""Days of history before the first reference origin (ETS itself fits on 16)."""


@dataclasses.dataclass(frozen=True)
class ReferenceResiduals:
    """Forecasts of a reference model from weekly origins (position -> forecast) and the series they are scored on."""

    series: DailySeries
    horizon: int
    forecasts: dict[int, np.ndarray]
    model: str

    @classmethod
    def compute(
        cls,
        series: DailySeries,
        horizon: int,
        targets: list[int],
        reference: Forecaster | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> ReferenceResiduals:
        """Forecast from every origin that :meth:`before` can use for one of ``targets`` (positions)."""
        forecaster = reference or HoltWinters()
        last, first = max(targets) - horizon, max(MIN_HISTORY, min(targets) - SPAN_DAYS)
        origins = range(last, first - 1, -STEP_DAYS)
        if progress:
            progress(f"interval calibration: {forecaster.name} from {len(origins)} weekly origins")
        forecasts = {q: forecaster.forecast(series.head(q), horizon) for q in origins}
        return cls(series, horizon, forecasts, forecaster.name)

    def origins_before(self, target: int) -> list[int]:
        """Reference origins within ``SPAN_DAYS`` of ``target`` whose whole forecast precedes it."""
        return sorted(q for q in self.forecasts if q >= target - SPAN_DAYS and q + self.horizon <= target)

    def before(self, target: int) -> Residuals:
        """Residuals usable to calibrate a forecast starting at position ``target``; DataError if there are none."""
        origins = self.origins_before(target)
        if not origins:
            raise DataError(f"no {self.model} forecasts complete before {self.series.date_at(target)} to calibrate on")
        return Residuals.concat(
            [
                Residuals.of(self.series.values[q : q + self.horizon], self.forecasts[q], self.series.date_at(q))
                for q in origins
            ]
        )

    def describe(self, target: int) -> str:
        """Where the residuals for ``target`` come from, for the manifest."""
        origins = self.origins_before(target)
        if not origins:
            return f"no {self.model} forecasts"
        first, last = self.series.date_at(origins[0]), self.series.date_at(origins[-1])
        return f"{self.model} forecasts from {len(origins)} weekly origins, {first} .. {last}"
