"""What the trainer service needs from the loan forecaster: a forecast for N days, and new loans to learn of."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from schemas.loans import ForecastEvent, LoanRecord

MAX_FORECAST_DAYS = 365


class ForecastSource(Protocol):
    """A loaded forecast bundle whose series can be kept current (the forecaster's service core, or a fake)."""

    def forecast_event(self, days: int) -> ForecastEvent:
        """The next ``days`` days from the end of the known series, with prediction intervals."""
        ...

    def add_loans(self, records: Sequence[LoanRecord]) -> int:
        """Fold new loan events into the series; returns how many were used."""
        ...
