"""Input events read by the router: complaints and social posts, one JSON object per Kafka message."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from schemas.common import SCHEMA_VERSION, Contract, Identifier, Text, UtcDatetime


class ComplaintEvent(Contract):
    """A complaint submitted through a web or branch form."""

    kind: Literal["complaint"] = "complaint"
    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: Identifier
    text: Text = Field(description="The complaint narrative, as written by the customer.")
    created_at: UtcDatetime
    customer_id: Identifier | None = None
    product: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="The product the customer selected on the form, if any."
    )
    channel: Annotated[str, Field(max_length=64)] | None = None


class SocialPostEvent(Contract):
    """A public post or direct message mentioning the bank on a social platform."""

    kind: Literal["social"] = "social"
    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: Identifier
    platform: Annotated[str, Field(min_length=1, max_length=32)]
    author: Annotated[str, Field(min_length=1, max_length=64)] = Field(description="The author's handle.")
    text: Text
    created_at: UtcDatetime


InputEvent = Annotated[ComplaintEvent | SocialPostEvent, Field(discriminator="kind")]
"""Either input event, told apart by its ``kind`` field."""

INPUT_EVENT_ADAPTER: TypeAdapter[ComplaintEvent | SocialPostEvent] = TypeAdapter(InputEvent)


def parse_event(raw: bytes | str) -> ComplaintEvent | SocialPostEvent:
    """Parse and validate one JSON message; raises ``pydantic.ValidationError`` when invalid."""
    return INPUT_EVENT_ADAPTER.validate_json(raw)
