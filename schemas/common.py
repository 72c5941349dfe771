"""Building blocks shared by every contract: strict base model, UTC timestamps, departments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final, Literal, get_args

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

SCHEMA_VERSION: Final = 1

Department = Literal[
    "cards",
    "accounts",
    "payments",
    "loans",
    "mortgages",
    "credit_reporting",
    "collections",
    "triage",
]
"""The routing contract: department names used verbatim in topics and predictions."""

DEPARTMENTS: tuple[str, ...] = get_args(Department)
TRIAGE = "triage"

MAX_TEXT_CHARS = 100_000
"""Upper bound for any free-text field; longer text is refused, not truncated (the model truncates)."""


EARLIEST_TIME: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME: Final = datetime(2100, 1, 1, tzinfo=UTC)
"""Every timestamp of every contract lies in [EARLIEST_TIME, LATEST_TIME) once converted to UTC."""


def _to_utc(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):  # e.g. 9999-12-31T23:00:00-01:00 is past year 9999 in UTC
        raise ValueError("the timestamp is out of range once converted to UTC") from None
    if not EARLIEST_TIME <= utc < LATEST_TIME:
        raise ValueError(f"the timestamp must lie between {EARLIEST_TIME:%Y-%m-%d} and {LATEST_TIME:%Y-%m-%d} (UTC)")
    return utc


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware timestamp, normalised to UTC, between 1970 and 2100. Naive datetimes are rejected."""


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("text is empty or only whitespace")
    return value


Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_not_blank)]
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@/\-]+$")]


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Contract(BaseModel):
    """Base of every contract: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, each naming the offending field, e.g. ``text: String should have ...``."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def validation_error_fields(exc: ValidationError) -> str:
    """Where and what kind each problem is, e.g. ``created_at (datetime_from_date_parsing)``: never a value.

    For logs of inputs that may carry personal data; pydantic's own messages sometimes quote the input.
    """
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        parts.append(f"{loc} ({err['type']})")
    return "; ".join(parts)
