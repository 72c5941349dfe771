"""Rolling-origin backtest: every model refit at every origin, scored on the next ``horizon`` days."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from service.errors import DataError
from training.forecast.calibration import ReferenceResiduals
from training.forecast.intervals import ConformalIntervals
from training.forecast.metrics import coverage, point_metrics
from training.forecast.models import Recipe
from training.forecast.series import DailySeries

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class OriginForecast:
    """One model's forecast from one origin, with the actuals it is scored on."""

    origin: int
    first_day: dt.date
    forecast: np.ndarray
    actual: np.ndarray
    metrics: dict[str, float]
    seconds: float


@dataclass(frozen=True)
class ModelBacktest:
    """All origins of one model, oldest first; the last origin is the evaluation fold."""

    name: str
    origins: list[OriginForecast]

    def mean_metrics(self) -> dict[str, float]:
        """Metrics averaged over origins."""
        keys = self.origins[0].metrics
        return {k: float(np.mean([o.metrics[k] for o in self.origins])) for k in keys}

    def final_fold(self) -> OriginForecast:
        """The last origin: the most recent ``horizon`` days of the data."""
        return self.origins[-1]

    def interval_coverage(self, level: float, reference: ReferenceResiduals) -> dict[str, float | int | None]:
        """Coverage measured honestly: each origin's intervals are calibrated only on reference forecasts
        complete before that origin. Origins without such forecasts are not scored."""
        inside = total = 0
        final: float | None = None
        for target in self.origins:
            if not reference.origins_before(target.origin):
                continue
            bands = ConformalIntervals.calibrate(reference.before(target.origin), level)
            lo, hi = bands.apply(target.forecast, target.first_day)
            share = coverage(target.actual, lo, hi)
            inside += round(share * len(target.actual))
            total += len(target.actual)
            if target is self.origins[-1]:
                final = share
        return {
            "coverage": inside / total if total else None,
            "coverage_final_fold": final,
            "days_scored": total,
        }


def rolling_origins(length: int, horizon: int, count: int, step: int, min_history: int) -> list[int]:
    """Origins (first forecast day positions) ``step`` days apart, the last one ``horizon`` days before the end."""
    origins = [length - horizon - k * step for k in range(count)]
    origins = sorted(o for o in origins if o >= min_history)
    if not origins:
        raise DataError(
            f"a {length}-day series is too short for a {horizon}-day backtest with {min_history} days of history"
        )
    return origins


def run_backtest(
    series: DailySeries,
    recipes: Sequence[Recipe],
    origins: Sequence[int],
    horizon: int,
    progress: Progress | None = None,
) -> dict[str, ModelBacktest]:
    """Fit each recipe on the history before every origin and score its next ``horizon`` days."""
    results: dict[str, list[OriginForecast]] = {r.name: [] for r in recipes}
    for k, origin in enumerate(origins, start=1):
        history = series.head(origin)
        actual = series.values[origin : origin + horizon]
        for recipe in recipes:
            started = time.monotonic()
            forecast = recipe.fit(history).forecast(history, horizon)[: len(actual)]
            seconds = time.monotonic() - started
            metrics = point_metrics(actual, forecast, history.values)
            results[recipe.name].append(
                OriginForecast(origin, series.date_at(origin), forecast, actual, metrics, seconds)
            )
            if progress:
                progress(
                    f"origin {k}/{len(origins)} ({series.date_at(origin)}) {recipe.name:<14} "
                    f"MASE {metrics['mase']:.3f} sMAPE {metrics['smape']:.1f} ({seconds:.0f}s)"
                )
    return {name: ModelBacktest(name, items) for name, items in results.items()}


def best_model(results: dict[str, ModelBacktest]) -> tuple[str, str]:
    """The model with the lowest mean MASE over all origins, and a sentence saying why."""
    ranked = sorted(results.values(), key=lambda r: r.mean_metrics()["mase"])
    best, runner = ranked[0], ranked[1] if len(ranked) > 1 else None
    why = f"lowest mean MASE over {len(best.origins)} rolling origins ({best.mean_metrics()['mase']:.3f}"
    if runner is not None:
        why += f" vs {runner.name} {runner.mean_metrics()['mase']:.3f}"
    return best.name, why + ")"
