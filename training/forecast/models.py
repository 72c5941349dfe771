"""The two protocols every forecasting model follows: a recipe is fitted on history into a forecaster."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from training.forecast.series import DailySeries


class Forecaster(Protocol):
    """Forecasts the ``horizon`` days after the end of any history it is given."""

    name: str

    def forecast(self, history: DailySeries, horizon: int) -> np.ndarray:
        """Point forecasts for ``history.end + 1 ... history.end + horizon``."""
        ...


class Recipe(Protocol):
    """How to make a forecaster from training history (the unit of a rolling-origin backtest)."""

    name: str

    def fit(self, history: DailySeries) -> Forecaster:
        """Learn from ``history`` only (nothing after its end)."""
        ...
