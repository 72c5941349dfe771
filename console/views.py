"""The JSON API's request and response bodies, and how stored rows become them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from console.db import Resolution, WorkItem
from console.queue import NOT_BANKING
from console.store import QueueStats
from schemas.common import DEPARTMENTS, TRIAGE, Identifier
from schemas.outputs import Alternative, RoutedEvent

CHOICES: tuple[str, ...] = (*(d for d in DEPARTMENTS if d != TRIAGE), NOT_BANKING)
"""What an agent can resolve to: any department but triage, or "not about banking"."""

NOTE_CHARS = 2000


def _a_choice(value: str) -> str:
    if value not in CHOICES:
        raise ValueError(f"unknown department {value[:64]!r}; one of {', '.join(CHOICES)}")
    return value


Choice = Annotated[str, Field(json_schema_extra={"enum": list(CHOICES)}), AfterValidator(_a_choice)]
Note = Annotated[str, Field(max_length=NOTE_CHARS)]


class Body(BaseModel):
    """Base of the API's bodies: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class ResolveRequest(Body):
    """An agent's decision on one item."""

    department: Choice = Field(description="A department, or not_banking (a correction only, nothing routed).")
    label: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="The intent or product, when the agent names one (default: the model's best)."
    )
    note: Note | None = None


class ReturnRequest(Body):
    """A department sends a misrouted event back to the queue."""

    event_id: Identifier
    routed_event: RoutedEvent | None = Field(
        default=None, description="The routed event as the department received it (optional if the console has it)."
    )
    note: Note | None = None

    @model_validator(mode="after")
    def _same_event(self) -> Self:
        if self.routed_event is not None and self.routed_event.event.event_id != self.event_id:
            raise ValueError("routed_event is about another event_id")
        return self


class ResolutionView(Body):
    """One decision, as the audit trail keeps it."""

    event_id: str
    agent: str
    department: str = Field(description="triage when the message was not about banking.")
    not_banking: bool
    label: str
    outcome: Literal["top1", "top3", "other"]
    note: str | None
    model_department: str
    model_label: str
    model_confidence: float
    resolved_at: datetime
    published: bool

    @classmethod
    def of(cls, row: Resolution) -> ResolutionView:
        """The view of a stored resolution."""
        return cls(
            event_id=row.event_id,
            agent=row.agent,
            department=row.department,
            not_banking=row.department == TRIAGE,
            label=row.label,
            outcome=row.outcome,
            note=row.note,
            model_department=row.model_department,
            model_label=row.model_label,
            model_confidence=row.model_confidence,
            resolved_at=row.resolved_at,
            published=row.published_at is not None,
        )


class ItemView(Body):
    """One work item."""

    event_id: str
    kind: str
    created_at: datetime
    queued_at: datetime
    age_s: float
    text: str
    reason: Literal["low_confidence", "out_of_scope", "returned"]
    priority: Literal["urgent", "normal"]
    explanation: list[str]
    suggestions: list[Alternative]
    status: Literal["open", "resolved"]
    claimed_by: str | None
    claimed_until: datetime | None
    note: str | None
    returned_by: str | None
    model_version: str
    resolution: ResolutionView | None = None

    @classmethod
    def of(cls, row: WorkItem, now: datetime, resolution: Resolution | None = None) -> ItemView:
        """The view of a stored item, its age counted from the event's creation."""
        return cls(
            event_id=row.event_id,
            kind=row.kind,
            created_at=row.created_at,
            queued_at=row.queued_at,
            age_s=max(0.0, (now - row.created_at).total_seconds()),
            text=row.text,
            reason=row.reason,
            priority=row.priority,
            explanation=row.explanation,
            suggestions=[Alternative.model_validate(s) for s in row.suggestions],
            status=row.status,
            claimed_by=row.claimed_by,
            claimed_until=row.claimed_until,
            note=row.note,
            returned_by=row.returned_by,
            model_version=str(row.routed.get("model_version", "")),
            resolution=ResolutionView.of(resolution) if resolution is not None else None,
        )


class ItemList(Body):
    """A page of the queue."""

    items: list[ItemView]
    count: int


class StatsView(Body):
    """The queue's figures."""

    open_items: int
    open_by_priority: dict[str, int]
    oldest_open_age_s: float
    resolutions: dict[str, int] = Field(description="Decisions in the window by outcome (top1, top3, other).")
    agreement_top1: float | None
    agreement_top3: float | None
    window_s: float

    @classmethod
    def of(cls, stats: QueueStats) -> StatsView:
        """The view of the store's figures."""
        return cls(**vars(stats))


class Me(Body):
    """The caller and what the page needs to draw its buttons."""

    agent: str
    choices: list[str]
    auth: str
    claim_ttl_s: float
