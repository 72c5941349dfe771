"""Loan events read by the forecaster (``loans.created``) and the forecasts it publishes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from schemas.common import SCHEMA_VERSION, Contract, Identifier, UtcDatetime, utc_now

MAX_LOAN_AMOUNT = 1e9
"""The largest single loan amount accepted (USD); larger values are refused as data errors."""

FUTURE_TOLERANCE = dt.timedelta(days=1)
"""A loan may be dated at most this far past the current time (clock skew between producers)."""


def _not_in_future(value: dt.datetime) -> dt.datetime:
    latest = utc_now() + FUTURE_TOLERANCE
    if value > latest:
        raise ValueError(f"a loan cannot be dated after {latest:%Y-%m-%dT%H:%M}Z (one day past the current time)")
    return value


class LoanRecord(Contract):
    """One loan as a lender's event stream carries it."""

    schema_version: Literal[1] = SCHEMA_VERSION
    loan_id: Identifier
    created_at: Annotated[UtcDatetime, AfterValidator(_not_in_future)] = Field(
        description="When the loan was created; at most one day past the current time."
    )
    amount: Annotated[float, Field(ge=0.0, le=MAX_LOAN_AMOUNT, allow_inf_nan=False)] | None = Field(
        default=None, description="Original loan amount in USD (at most 1e9); absent when only counts are tracked."
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
