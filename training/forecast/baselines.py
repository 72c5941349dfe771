"""Baseline forecasters: naive, weekly seasonal naive, ETS and damped-trend Holt-Winters (statsmodels)."""

from __future__ import annotations

import hashlib
import logging
import warnings

import numpy as np

from core.errors import DataError
from training.forecast.models import Forecaster, Recipe
from training.forecast.series import DailySeries

logger = logging.getLogger(__name__)


class Naive:
    """Every future day equals the last observed day."""

    name = "naive"

    def forecast(self, history: DailySeries, horizon: int) -> np.ndarray:
        """Repeat the last value ``horizon`` times."""
        return np.repeat(history.values[-1], horizon).astype(np.float64)


class SeasonalNaive:
    """Every future day equals the same weekday of the last observed week."""

    name = "seasonal_naive"

    def __init__(self, season: int = 7) -> None:
        self.season = season

    def forecast(self, history: DailySeries, horizon: int) -> np.ndarray:
        """Repeat the last ``season`` days."""
        if len(history) < self.season:
            raise DataError(f"seasonal naive needs {self.season} days of history, got {len(history)}")
        return np.resize(history.values[-self.season :], horizon).astype(np.float64)


class HoltWinters:
    """Exponential smoothing with additive weekly seasonality, refit on the history at every forecast.

    ``trend=False`` is ETS(A,N,A), served as ``ets``: a level and a weekly shape, so its forecast stays at
    the latest smoothed level. The default adds an additive damped trend, ETS(A,Ad,A), served as
    ``damped`` (it is also the LSTM's ETS input).
    """

    def __init__(self, season: int = 7, damped: bool = True, trend: bool = True) -> None:
        self.season = season
        self.damped = damped and trend
        self.trend = trend
        self.name = ("damped" if self.damped else "holt_winters") if trend else "ets"

    @property
    def min_history(self) -> int:
        """Days needed to fit: two seasons and two more."""
        return 2 * self.season + 2

    def forecast(self, history: DailySeries, horizon: int) -> np.ndarray:
        """Fit Holt-Winters ETS by maximum likelihood and forecast; negative values are clipped to 0."""
        return self.forecast_values(history.values, horizon)

    def forecast_values(self, values: np.ndarray, horizon: int) -> np.ndarray:
        """:meth:`forecast` from the daily values alone (ETS does not look at dates), cached by a digest of
        the values: the rolling evaluation and the LSTM's ETS input ask for the same histories again
        and again (read-only array)."""
        data = np.ascontiguousarray(values, dtype=np.float64)
        key = (hashlib.blake2b(data.tobytes(), digest_size=16).digest(), horizon, self.season, self.damped, self.trend)
        forecast = _ETS_CACHE.get(key)
        if forecast is None:
            forecast = self._fit(data, horizon)
            forecast.flags.writeable = False
            if len(_ETS_CACHE) >= ETS_CACHE_SIZE:
                del _ETS_CACHE[next(iter(_ETS_CACHE))]  # the oldest entry
            _ETS_CACHE[key] = forecast
        return forecast

    def _fit(self, values: np.ndarray, horizon: int) -> np.ndarray:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        if len(values) < self.min_history:
            raise DataError(f"ETS needs at least {self.min_history} days of history, got {len(values)}")
        model = ExponentialSmoothing(
            values,
            trend="add" if self.trend else None,
            damped_trend=self.damped,
            seasonal="add",
            seasonal_periods=self.season,
            initialization_method="estimated",
        )
        with warnings.catch_warnings():
            # statsmodels warns on every non-converged optimisation; the fit is still usable.
            warnings.simplefilter("ignore")
            fitted = model.fit()
        return np.maximum(np.asarray(fitted.forecast(horizon), dtype=np.float64), 0.0)


ETS_CACHE_SIZE = 16384
_ETS_CACHE: dict[tuple[bytes, int, int, bool, bool], np.ndarray] = {}


class StatelessRecipe:
    """A recipe whose forecaster has nothing to learn ahead of time (it refits on the history if needed)."""

    def __init__(self, forecaster: Forecaster) -> None:
        self.forecaster = forecaster
        self.name = forecaster.name

    def fit(self, history: DailySeries) -> Forecaster:
        """Return the forecaster itself."""
        return self.forecaster


def baselines() -> list[Forecaster]:
    """The four baselines every evaluation reports: naive, seasonal naive, ETS and damped trend."""
    return [Naive(), SeasonalNaive(), HoltWinters(trend=False), HoltWinters()]


def baseline_recipes() -> list[Recipe]:
    """:func:`baselines` as recipes (they refit on the history at every forecast)."""
    return [StatelessRecipe(b) for b in baselines()]


def baseline_by_name(name: str) -> Forecaster:
    """A baseline forecaster by its manifest name."""
    table: dict[str, Forecaster] = {b.name: b for b in baselines()}
    if name not in table:
        raise DataError(f"unknown baseline {name!r}; expected one of {sorted(table)}")
    return table[name]
