"""Loan events read by the forecaster (``loans.created``) and the forecasts it publishes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from schemas.common import SCHEMA_VERSION, Contract, Identifier, UtcDatetime


class LoanRecord(Contract):
    """One loan as a lender's event stream carries it."""

    schema_version: Literal[1] = SCHEMA_VERSION
    loan_id: Identifier
    created_at: UtcDatetime
    amount: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] | None = Field(
        default=None, description="Original loan amount in USD; absent when only counts are tracked."
    )


class ForecastPoint(Contract):
    """The forecast for one calendar day with its prediction interval."""

    date: dt.date
    forecast: float
    lower: float
    upper: float

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.lower <= self.forecast <= self.upper:
            raise ValueError("expected lower <= forecast <= upper")
        return self


class ForecastEvent(Contract):
    """A forecast published to ``loans.forecast``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    model_version: str
    value: Literal["amount", "count"]
    interval_level: Annotated[float, Field(gt=0.0, lt=1.0)]
    generated_at: UtcDatetime
    points: Annotated[list[ForecastPoint], Field(min_length=1)]
