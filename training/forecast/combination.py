"""Forecast combination: several models averaged per horizon band, weighted by their recent rolling errors.

A model's weight in a band is proportional to ``MASE ** -power`` over the ``lookback`` most recent origins
whose days in that band have all been observed (Bates & Granger's inverse-error weights, with MASE so
that errors from before a change of level weigh by their size relative to that time's scale). Short
bands are observed within a week, so after a level shift their weights move to whichever model follows
it within weeks; weights are only ever computed from days before the forecast origin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.errors import DataError
from training.forecast.calendar import BUSINESS_DAY, calendar_features
from training.forecast.metrics import mae, mase_scale
from training.forecast.models import Forecaster
from training.forecast.rolling import Band, RollingForecasts, bands_for
from training.forecast.series import DailySeries
from training.forecast.windows import closed_days_are_zero

Weights = dict[str, dict[str, float]]
"""Band name -> model name -> weight (summing to 1 per band)."""


@dataclass(frozen=True)
class CombinationRule:
    """How weights are made from recent errors."""

    lookback: int = 8
    power: float = 1.0

    def __post_init__(self) -> None:
        if self.lookback < 1 or self.power < 0:
            raise DataError(f"invalid combination rule: {self}")


def inverse_error_weights(errors: Mapping[str, float], power: float) -> dict[str, float]:
    """Weights proportional to ``error ** -power``; equal weights when no error is known."""
    if not errors:
        raise DataError("no models to weight")
    floor = 1e-9  # a perfect recent forecast gets (almost) all the weight, not a division by zero
    raw = {m: max(e, floor) ** -power for m, e in errors.items() if np.isfinite(e)}
    if not raw:
        return {m: 1.0 / len(errors) for m in errors}
    total = sum(raw.values())
    return {m: raw.get(m, 0.0) / total for m in errors}


def _recent_errors(
    rolling: RollingForecasts, models: Sequence[str], at: int, band: Band, lookback: int, scales: list[float]
) -> dict[str, float]:
    """Mean band MASE of each model over the last ``lookback`` origins fully observed in ``band`` before ``at``."""
    leads = band.leads(rolling.split.horizon)
    done = [i for i, q in enumerate(rolling.split.origins) if q + leads.stop <= at][-lookback:]
    if not done:
        return {m: float("nan") for m in models}
    return {
        m: float(np.mean([mae(rolling.actual(i)[leads], rolling.forecasts[m][i][leads]) / scales[i] for i in done]))
        for m in models
    }


def weights_at(
    rolling: RollingForecasts, models: Sequence[str], at: int, rule: CombinationRule, scales: list[float] | None = None
) -> Weights:
    """The weights a forecast from position ``at`` may use (errors of days before ``at`` only)."""
    scales = scales if scales is not None else origin_scales(rolling)
    return {
        band.name: inverse_error_weights(_recent_errors(rolling, models, at, band, rule.lookback, scales), rule.power)
        for band in bands_for(rolling.split.horizon)
    }


def origin_scales(rolling: RollingForecasts) -> list[float]:
    """The MASE scale (in-sample weekly seasonal-naive MAE) before every origin."""
    return [mase_scale(rolling.series.values[:q]) for q in rolling.split.origins]


def combine(forecasts: Mapping[str, np.ndarray], weights: Weights, horizon: int) -> np.ndarray:
    """The per-band weighted sum of the models' forecasts."""
    out = np.zeros(horizon)
    for band in bands_for(horizon):
        leads = band.leads(horizon)
        for model, weight in weights[band.name].items():
            if weight > 0:
                out[leads] += weight * forecasts[model][leads]
    return out


def zero_closed_days(forecast: np.ndarray, history: DailySeries) -> np.ndarray:
    """Weekends and holidays forecast as 0 when the history never had activity on them (originations)."""
    if closed_days_are_zero(history):
        closed = calendar_features(history.end + dt.timedelta(days=1), len(forecast))[:, BUSINESS_DAY] == 0
        forecast = np.where(closed, 0.0, forecast)
    return forecast


def rolling_combination(rolling: RollingForecasts, models: Sequence[str], rule: CombinationRule) -> np.ndarray:
    """The combination's forecast from every origin of ``rolling``, each with the weights known there."""
    scales = origin_scales(rolling)
    horizon = rolling.split.horizon
    out = np.empty((len(rolling.split.origins), horizon))
    for i, origin in enumerate(rolling.split.origins):
        weights = weights_at(rolling, models, origin, rule, scales)
        members = {m: rolling.forecasts[m][i] for m in models}
        out[i] = zero_closed_days(combine(members, weights, horizon), rolling.series.head(origin))
    return out


@dataclass
class CombinationForecaster:
    """Serves a combination: every member forecasts, the bundle's weights mix them per band."""

    members: dict[str, Forecaster]
    weights: Weights
    name: str = "combination"

    def forecast(self, history: DailySeries, horizon: int) -> np.ndarray:
        """The weighted forecast of the members with a non-zero weight."""
        used = {m for band in self.weights.values() for m, w in band.items() if w > 0}
        forecasts = {m: self.members[m].forecast(history, horizon) for m in sorted(used)}
        return zero_closed_days(combine(forecasts, self.weights, horizon), history)
