"""Rolling-origin evaluation: weekly origins, expensive models refit on a coarser schedule, horizon bands.

Origins are ``step`` days apart and aligned on the last *scored* origin, whose forecast covers the final
``horizon`` days of the data. Origins in the ``span_days`` before it are scored; the ``warmup_days``
before those, and the origins after it (whose forecasts are only partly observed), are forecast too so
that combination weights and interval calibration have errors to learn from, but are never scored.
A model that is expensive to fit (the LSTM) is refit only every ``refit_days`` and forecasts from every
origin with the latest model fitted on the days before that origin's block: no origin sees its future.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from core.errors import DataError
from schemas.forecast import BandName
from training.forecast.models import Forecaster, Recipe
from training.forecast.series import DailySeries

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Band:
    """Lead times ``first`` .. ``last`` days ahead (1-based, inclusive)."""

    name: BandName
    first: int
    last: int

    def leads(self, horizon: int) -> slice:
        """The forecast positions of this band in a ``horizon``-day forecast."""
        return slice(self.first - 1, min(self.last, horizon))


BANDS = (Band("1-7", 1, 7), Band("8-30", 8, 30), Band("31-90", 31, 90))
WHOLE: Final = "whole"
"""The name of the whole horizon as one band in score tables."""


def bands_for(horizon: int) -> tuple[Band, ...]:
    """The bands with at least one lead time within ``horizon`` days."""
    return tuple(b for b in BANDS if b.first <= horizon)


def scored_bands(horizon: int) -> tuple[Band, ...]:
    """:func:`bands_for` plus the whole horizon (named ``whole``)."""
    return (*bands_for(horizon), Band(WHOLE, 1, horizon))


def band_of(lead: int) -> Band:
    """The band of a lead time (days ahead, 1-based); beyond the last band: the last band."""
    return next((b for b in BANDS if b.first <= lead <= b.last), BANDS[-1])


@dataclass(frozen=True)
class RollingSplit:
    """Origins (positions of the first forecast day), oldest first, and which of them are scored."""

    origins: list[int]
    scored: list[bool]
    horizon: int
    step: int

    @property
    def scored_origins(self) -> list[int]:
        """The scored origins, oldest first."""
        return [o for o, s in zip(self.origins, self.scored, strict=True) if s]


def rolling_split(
    length: int, horizon: int, span_days: int = 364, warmup_days: int = 91, step: int = 7, min_history: int = 28
) -> RollingSplit:
    """Weekly origins over the last ``span_days`` (+ warm-up before, partial forecasts after) of a series."""
    if step < 1 or span_days < 0 or warmup_days < 0:
        raise DataError("step must be >= 1 and the spans >= 0")
    last_scored = length - horizon
    if last_scored < min_history:
        raise DataError(f"a {length}-day series is too short for a {horizon}-day evaluation")
    first = max(last_scored - span_days - warmup_days, min_history)
    first = last_scored - (last_scored - first) // step * step
    origins = list(range(first, length - step + 1, step))
    scored = [last_scored - span_days <= o <= last_scored for o in origins]
    return RollingSplit(origins, scored, horizon, step)


def refit_points(origins: Sequence[int], refit_days: int) -> dict[int, int]:
    """For each origin, the position its model is fitted up to: the start of its ``refit_days`` block."""
    if refit_days < 1:
        raise DataError("refit_days must be >= 1")
    start = origins[0]
    return {o: start + (o - start) // refit_days * refit_days for o in origins}


@dataclass(frozen=True)
class RollingForecasts:
    """Every model's forecast from every origin of a split: ``forecasts[name][i]`` from ``split.origins[i]``."""

    series: DailySeries
    split: RollingSplit
    forecasts: dict[str, np.ndarray]

    def actual(self, index: int) -> np.ndarray:
        """The observed days after origin ``index`` (shorter than the horizon near the end)."""
        origin = self.split.origins[index]
        return self.series.values[origin : origin + self.split.horizon]

    def with_model(self, name: str, forecasts: np.ndarray) -> RollingForecasts:
        """A copy that also holds ``name``'s forecasts."""
        return RollingForecasts(self.series, self.split, {**self.forecasts, name: forecasts})


def _block_key(history: DailySeries, recipe: Recipe, origins: Sequence[int], horizon: int) -> str:
    digest = hashlib.blake2b(np.ascontiguousarray(history.values).tobytes(), digest_size=16)
    digest.update(f"{recipe.name}|{getattr(recipe, 'config', '')!r}|{list(origins)}|{horizon}".encode())
    return digest.hexdigest()


def forecast_model(
    series: DailySeries,
    split: RollingSplit,
    recipe: Recipe,
    refit_days: int | None = None,
    cache: Path | None = None,
    progress: Progress | None = None,
) -> np.ndarray:
    """``recipe``'s forecasts from every origin, refit at every origin or every ``refit_days``.

    With ``cache``, the forecasts of each refit block are kept in ``cache/<key>.npy`` (the key hashes the
    training days, the recipe's settings and the origins), so a rerun does not refit an unchanged model.
    """
    points = refit_points(split.origins, refit_days or split.step)
    out = np.empty((len(split.origins), split.horizon))
    blocks: dict[int, list[int]] = {}
    for i, origin in enumerate(split.origins):
        blocks.setdefault(points[origin], []).append(i)
    for k, (fit_at, rows) in enumerate(blocks.items(), start=1):
        history = series.head(fit_at)
        origins = [split.origins[i] for i in rows]
        path = cache / f"{_block_key(history, recipe, origins, split.horizon)}.npy" if cache else None
        if path is not None and path.is_file():
            out[rows] = np.load(path)
            continue
        model: Forecaster = recipe.fit(history)
        block = np.stack([model.forecast(series.head(o), split.horizon) for o in origins])
        out[rows] = block
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, block)
        if progress and refit_days:
            progress(f"{recipe.name}: fit {k}/{len(blocks)} on {fit_at} days, {len(rows)} origins")
    return out


def rolling_forecasts(
    series: DailySeries,
    split: RollingSplit,
    recipes: Sequence[Recipe],
    refit_days: Mapping[str, int] | None = None,
    cache: Path | None = None,
    progress: Progress | None = None,
) -> RollingForecasts:
    """Forecasts of every recipe from every origin of ``split``."""
    refit = refit_days or {}
    forecasts = {}
    for recipe in recipes:
        if progress:
            progress(f"rolling forecasts: {recipe.name} from {len(split.origins)} origins")
        forecasts[recipe.name] = forecast_model(series, split, recipe, refit.get(recipe.name), cache, progress)
    return RollingForecasts(series, split, forecasts)
