"""Routing decisions and routed-event records: plain functions, no Kafka and no TensorFlow."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from classifier.label_space import triage_rule
from classifier.prediction import Prediction
from schemas.common import TRIAGE
from schemas.events import ComplaintEvent, SocialPostEvent
from schemas.outputs import RoutedEvent, RouteReason
from service.priority import Priority

MODEL_VERSION_HEADER = "model-version"
REASON_HEADER = "route-reason"
REDRIVE_COUNT_HEADER = "redrive-count"
"""How often ``ticket-router redrive`` re-published a record; a dead letter keeps its input's count."""
PRIORITY_HEADER = "priority"


class InRecord(NamedTuple):
    """The parts of a consumed Kafka record the router uses."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    headers: Sequence[tuple[str, bytes]] = ()


class OutRecord(NamedTuple):
    """A record to produce."""

    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def decide(prediction: Prediction, threshold: float) -> tuple[str, RouteReason]:
    """Department and reason of one prediction by :func:`~classifier.label_space.triage_rule`."""
    return triage_rule(prediction.department, prediction.confidence, threshold)


def routed_record(
    event: ComplaintEvent | SocialPostEvent,
    prediction: Prediction,
    threshold: float,
    model_version: str,
    topic_prefix: str,
    now: datetime,
    priority: Priority = "normal",
    explanation: Sequence[str] = (),
) -> tuple[OutRecord, RoutedEvent]:
    """The routed event for one classified input, keyed by event id, with model version, reason and priority
    in headers."""
    department, reason = decide(prediction, threshold)
    confidence = min(max(prediction.confidence, 0.0), 1.0)
    # One validation for the whole event: nested parts as plain values are checked in the same pass.
    routed = RoutedEvent.model_validate(
        {
            "event": event,
            "department": department,
            "reason": reason,
            "label": prediction.label,
            "confidence": confidence,
            "alternatives": [
                {"label": a.label, "department": a.department, "confidence": min(max(a.confidence, 0.0), 1.0)}
                for a in prediction.alternatives
            ],
            "model_version": model_version,
            "routed_at": now,
            # A triage event's own department is triage: the model's answer travels in ``suggested`` for the console.
            "suggested": (
                {"label": prediction.label, "department": prediction.department, "confidence": confidence}
                if department == TRIAGE
                else None
            ),
            "priority": priority,
            "explanation": list(explanation),
        }
    )
    headers = [(MODEL_VERSION_HEADER, model_version.encode()), (REASON_HEADER, reason.encode())]
    headers.append((PRIORITY_HEADER, priority.encode()))
    record = OutRecord(
        f"{topic_prefix}{department}", event.event_id.encode(), routed.model_dump_json().encode(), headers
    )
    return record, routed
