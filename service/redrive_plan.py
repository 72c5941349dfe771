"""Which dead letters a redrive sends, and as what: filters, loop guard and output records. No Kafka here."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import ValidationError

from schemas.outputs import DeadLetter
from service.routing import REDRIVE_COUNT_HEADER, InRecord, OutRecord

REDRIVE_SOURCE_HEADER = "redrive-source"
"""Where a redriven record was read: ``<dlq topic>/<partition>/<offset>``."""

Outcome = Literal["send", "passed_over", "max_redrives", "truncated", "not_a_dead_letter"]
REFUSALS: tuple[Outcome, ...] = ("max_redrives", "truncated", "not_a_dead_letter")


@dataclass(frozen=True)
class Selection:
    """The filters of one redrive; an empty filter selects everything."""

    reasons: frozenset[str] = frozenset()
    source_topics: frozenset[str] = frozenset()
    event_ids: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    """Bounds on the dead letter's ``failed_at``: ``since <= failed_at < until``."""

    def matches(self, letter: DeadLetter) -> bool:
        """Whether ``letter`` passes every filter."""
        if self.reasons and letter.reason not in self.reasons:
            return False
        if self.source_topics and letter.source.topic not in self.source_topics:
            return False
        if self.since is not None and letter.failed_at < self.since:
            return False
        if self.until is not None and letter.failed_at >= self.until:
            return False
        return not self.event_ids or bool(self.event_ids & identifiers(letter))


def identifiers(letter: DeadLetter) -> set[str]:
    """What ``--event-id`` may match: the record key, and the ``event_id`` of a raw value that is a JSON object."""
    found = {letter.key} if letter.key else set()
    if letter.raw_encoding == "utf-8":
        try:
            body = json.loads(letter.raw)
        except ValueError:
            return found
        if isinstance(body, dict) and isinstance(body.get("event_id"), str):
            found.add(body["event_id"])
    return found


def redrive_count(headers: Iterable[tuple[str, bytes]]) -> int | None:
    """The record's ``redrive-count`` header (0 when absent), None when it is not a small non-negative number."""
    values = [value for name, value in headers if name == REDRIVE_COUNT_HEADER]
    if not values:
        return 0
    text = values[-1].decode("ascii", errors="replace").strip()
    return int(text) if text.isdigit() and len(text) <= 6 else None


class Planned(NamedTuple):
    """The decision on one dead-letter record; ``out`` is set when it is to be sent."""

    outcome: Outcome
    letter: DeadLetter | None = None
    out: OutRecord | None = None
    redrives: int = 0
    """How often the record had been redriven before."""


def plan(record: InRecord, selection: Selection, max_redrives: int, to_topic: str | None) -> Planned:
    """Decide about one dead-letter record: pass over, refuse (and why) or send (the record to produce)."""
    try:
        letter = DeadLetter.model_validate_json(record.value or b"")
    except ValidationError:
        return Planned("not_a_dead_letter")
    if not selection.matches(letter):
        return Planned("passed_over", letter)
    count = redrive_count(record.headers)
    if count is None or count >= max_redrives:
        return Planned("max_redrives", letter, redrives=count or 0)
    # A value (or key) cut to fit the size limit is never re-published in part.
    if letter.truncated:
        return Planned("truncated", letter, redrives=count)
    headers = [
        (REDRIVE_COUNT_HEADER, str(count + 1).encode()),
        (REDRIVE_SOURCE_HEADER, f"{record.topic}/{record.partition}/{record.offset}".encode()),
    ]
    out = OutRecord(to_topic or letter.source.topic, record.key, letter.raw_bytes(), headers)
    return Planned("send", letter, out, count)


@dataclass
class Tally:
    """Counts of one redrive run, printed as its JSON summary."""

    read: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    sent_by_reason: Counter[str] = field(default_factory=Counter)
    sent_to: Counter[str] = field(default_factory=Counter)

    def add(self, planned: Planned) -> None:
        """Count one decision."""
        self.read += 1
        self.outcomes[planned.outcome] += 1
        if planned.out is not None and planned.letter is not None:
            self.sent_by_reason[planned.letter.reason] += 1
            self.sent_to[planned.out.topic] += 1

    def summary(self, dry_run: bool, **extra: object) -> dict[str, object]:
        """The run's figures; with ``dry_run`` "redriven" counts what would have been sent."""
        refused = {reason: self.outcomes[reason] for reason in REFUSALS}
        return {
            "dry_run": dry_run,
            "read": self.read,
            "passed_over": self.outcomes["passed_over"],
            "selected": self.outcomes["send"] + refused["max_redrives"] + refused["truncated"],
            "redriven": self.outcomes["send"],
            "refused": refused,
            "redriven_by_reason": dict(self.sent_by_reason),
            "redriven_to": dict(self.sent_to),
            **extra,
        }
