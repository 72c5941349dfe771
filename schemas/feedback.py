"""Agents' corrections: the department a ticket should have gone to, read from ``tickets.feedback``."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from schemas.common import SCHEMA_VERSION, Contract, Department, Identifier, Text, UtcDatetime
from schemas.outputs import SourcePosition


class Feedback(Contract):
    """One correction by a department agent. The latest correction for a ticket wins."""

    schema_version: Literal[1] = SCHEMA_VERSION
    ticket_id: Identifier = Field(description="The event_id of the routed event being corrected.")
    text: Text | None = Field(default=None, description="The message text, when the agent's tool has it.")
    routed_event: SourcePosition | None = Field(
        default=None, description="Where the routed event lies, when the text is not sent."
    )
    routed_department: Department | None = None
    correct_department: Department
    agent: Identifier
    created_at: UtcDatetime

    @model_validator(mode="after")
    def _has_text_or_reference(self) -> Self:
        if self.text is None and self.routed_event is None:
            raise ValueError("a correction needs the text or a routed_event reference")
        return self
