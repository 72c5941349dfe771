"""The queue's rules as plain functions: decoding triage records, suggestions, outcomes, outgoing records."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from classifier.mask_records import mask_event
from schemas.common import TRIAGE, describe_validation_error
from schemas.feedback import Feedback
from schemas.outputs import Alternative, RoutedEvent

ItemReason = Literal["low_confidence", "out_of_scope", "returned"]
"""Why an item is in the queue: the router's triage reasons, or a department sent it back."""

Outcome = Literal["top1", "top3", "other"]
"""How an agent's choice compares with the model: its first suggestion, one of its top three, or neither."""

NOT_BANKING = "not_banking"
"""The resolve choice for messages that are about no product of the bank: feedback only, nothing routed."""

SUGGESTIONS = 3


class RecordRefusedError(ValueError):
    """A triage record the console cannot queue; ``reason`` is a low-cardinality metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def decode_triage(value: bytes | None, max_bytes: int) -> RoutedEvent:
    """The routed event in one ``routed.triage`` record; raises :class:`RecordRefusedError` for anything else."""
    if not value:
        raise RecordRefusedError("empty", "the record has no value")
    if len(value) > max_bytes:
        raise RecordRefusedError("oversized", f"{len(value)} bytes, more than {max_bytes}")
    try:
        routed = RoutedEvent.model_validate_json(value)
    except ValidationError as exc:
        raise RecordRefusedError("invalid", describe_validation_error(exc)[:500]) from None
    except (UnicodeDecodeError, ValueError) as exc:  # pydantic reports most problems as ValidationError
        raise RecordRefusedError("invalid", type(exc).__name__) from None
    if routed.department != TRIAGE:
        raise RecordRefusedError("not_triage", f"routed to {routed.department}, not triage")
    event, masked = mask_event(routed.event)  # events routed before masking existed are masked here
    return routed.model_copy(update={"event": event}) if masked else routed


def suggestions(routed: RoutedEvent, limit: int = SUGGESTIONS) -> list[Alternative]:
    """The model's answers, one per department, best first: its own top answer (triage: "not about banking"),
    then the next departments it considered."""
    top = routed.suggested
    if top is None and routed.reason == "out_of_scope":
        top = Alternative(label=routed.label, department=TRIAGE, confidence=routed.confidence)
    best: dict[str, Alternative] = {}
    for alternative in ([top] if top is not None else []) + list(routed.alternatives):
        best.setdefault(alternative.department, alternative)
    return list(best.values())[:limit]


def item_reason(routed: RoutedEvent) -> ItemReason:
    """The queue reason of a triage event (an agent-routed or confident event counts as low confidence)."""
    return "out_of_scope" if routed.reason == "out_of_scope" else "low_confidence"


def outcome(chosen_department: str, offered: list[Alternative]) -> Outcome:
    """Where the agent's department stands among the model's suggestions."""
    departments = [a.department for a in offered]
    if departments[:1] == [chosen_department]:
        return "top1"
    return "top3" if chosen_department in departments[:SUGGESTIONS] else "other"


def choose_label(department: str, requested: str | None, offered: list[Alternative], routed: RoutedEvent) -> str:
    """The label recorded with a decision: the agent's, else the model's best in that department, else the model's."""
    if requested:
        return requested
    for alternative in offered + list(routed.alternatives):
        if alternative.department == department:
            return alternative.label
    return routed.label


def agent_routed(routed: RoutedEvent, department: str, label: str, agent: str, now: datetime) -> RoutedEvent:
    """The event as the agent routed it: reason ``agent``, the agent, and the model's original top suggestion."""
    offered = suggestions(routed)
    confidence = next((a.confidence for a in offered if a.department == department), 0.0)
    return routed.model_copy(
        update={
            "department": department,
            "reason": "agent",
            "label": label,
            "confidence": confidence,
            "routed_at": now,
            "agent": agent,
            "suggested": offered[0] if offered else None,
        }
    )


def feedback_for(routed: RoutedEvent, correct_department: str, agent: str, now: datetime) -> Feedback:
    """The correction the trainer learns from; the text travels with it (the trainer needs no lookup)."""
    return Feedback.model_validate(
        {
            "ticket_id": routed.event.event_id,
            "text": routed.event.text,
            "routed_department": routed.department,
            "correct_department": correct_department,
            "agent": agent,
            "created_at": now,
        }
    )
