"""Forecast accuracy: MAE, sMAPE, MASE (scaled by the in-sample weekly seasonal-naive error) and coverage."""

from __future__ import annotations

import numpy as np

from core.errors import DataError

SEASON = 7


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute error."""
    return float(np.mean(np.abs(actual - forecast)))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0-200); a day where both actual and forecast are 0 counts as exact."""
    denom = np.abs(actual) + np.abs(forecast)
    safe = np.where(denom == 0, 1.0, denom)
    return float(np.mean(np.where(denom == 0, 0.0, 2.0 * np.abs(actual - forecast) / safe)) * 100.0)


def mase_scale(history: np.ndarray, season: int = SEASON) -> float:
    """In-sample MAE of the seasonal-naive forecast (``y[t] = y[t - season]``) over the history."""
    if len(history) <= season:
        raise DataError(f"MASE needs more than {season} days of history, got {len(history)}")
    scale = float(np.mean(np.abs(history[season:] - history[:-season])))
    if scale == 0:
        raise DataError("MASE is undefined: the history repeats its weekly pattern exactly")
    return scale


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error given the in-sample ``scale`` (see :func:`mase_scale`)."""
    return mae(actual, forecast) / scale


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of days whose actual value lies inside ``[lower, upper]``."""
    return float(np.mean((actual >= lower) & (actual <= upper)))


def point_metrics(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray) -> dict[str, float]:
    """MAE, sMAPE and MASE of one forecast against its actuals, MASE scaled on ``history``."""
    return {
        "mae": mae(actual, forecast),
        "smape": smape(actual, forecast),
        "mase": mase(actual, forecast, mase_scale(history)),
    }
