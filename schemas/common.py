"""Building blocks shared by every contract: strict base model, UTC timestamps, departments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, get_args

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


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware timestamp, normalised to UTC. Naive datetimes are rejected."""


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


def first_error_type(exc: ValidationError) -> tuple[str, tuple[Any, ...]]:
    """The pydantic error type and location of the first problem (used to classify dead letters)."""
    err = exc.errors(include_url=False)[0]
    return err["type"], tuple(err["loc"])
