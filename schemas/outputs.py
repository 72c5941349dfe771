"""Events the router writes: routed events for the departments and dead-letter records."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from pydantic import Field

from schemas.common import SCHEMA_VERSION, Contract, Department, Identifier, UtcDatetime
from schemas.events import InputEvent

Confidence = Annotated[float, Field(ge=0.0, le=1.0)]

RouteReason = Literal["confident", "low_confidence", "out_of_scope", "agent"]
"""Why the event went where it went: triage is reached by low confidence or an out-of-scope label;
``agent`` marks an event a person routed from the triage console."""

Priority = Literal["urgent", "normal"]


class Alternative(Contract):
    """One of the model's top-k answers."""

    label: str
    department: Department
    confidence: Confidence


class RoutedEvent(Contract):
    """An input event with the routing decision attached, published to ``routed.<department>``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    event: InputEvent
    department: Department
    reason: RouteReason
    label: str = Field(description="The model's top label (an intent or a product).")
    confidence: Confidence
    alternatives: list[Alternative] = Field(default_factory=list, max_length=10)
    model_version: str
    routed_at: UtcDatetime
    priority: Priority = "normal"
    explanation: list[str] = Field(default_factory=list, description="The terms that most supported the label.")
    agent: Identifier | None = Field(default=None, description="Who routed it, when reason is agent.")
    suggested: Alternative | None = Field(
        default=None,
        description="The model's own top answer, on events sent to triage and on events an agent routed.",
    )


DeadLetterReason = Literal[
    "invalid_json",
    "not_utf8",
    "unknown_kind",
    "schema_error",
    "empty_text",
    "oversized",
    "internal_error",
]
"""``internal_error``: handling this one record raised an unexpected exception (its type is in ``error``)."""

TopicName = Annotated[str, Field(min_length=1, max_length=249, pattern=r"^[A-Za-z0-9._-]+$")]
"""A legal Kafka topic name."""

MAX_PARTITION = 2**31 - 1
MAX_OFFSET = 2**63 - 1


class SourcePosition(Contract):
    """Where a Kafka record was read from: enough to find and replay it."""

    topic: TopicName
    partition: Annotated[int, Field(ge=0, le=MAX_PARTITION)]
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)]


class Truncation(Contract):
    """A field of a dead letter that holds only a prefix of the original bytes, to fit the size limit."""

    field: Literal["raw", "key"]
    size: Annotated[int, Field(ge=0)] = Field(description="The original's size in bytes.")
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(description="The original's sha256 (hex).")


class DeadLetter(Contract):
    """A message the router could not route, kept whole so it can be fixed and replayed."""

    schema_version: Literal[1] = SCHEMA_VERSION
    reason: DeadLetterReason
    error: Annotated[str, Field(max_length=4000)]
    source: SourcePosition
    key: str | None = Field(default=None, description="The record key, base64 if it was not UTF-8.")
    raw: str = Field(description="The record value: UTF-8 text, or base64 when raw_encoding says so.")
    raw_encoding: Literal["utf-8", "base64"]
    truncated: list[Truncation] = Field(
        default_factory=list,
        max_length=2,
        description="Fields cut to a prefix so the record fits the size limit; empty when kept whole.",
    )
    failed_at: UtcDatetime

    @staticmethod
    def encode_raw(value: bytes) -> tuple[str, Literal["utf-8", "base64"]]:
        """The value as text when it is valid UTF-8, else base64, with the encoding used."""
        try:
            return value.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii"), "base64"

    def raw_bytes(self) -> bytes:
        """The record value as kept: byte for byte the original unless ``truncated`` names ``raw``."""
        if self.raw_encoding == "base64":
            return base64.b64decode(self.raw)
        return self.raw.encode("utf-8")
