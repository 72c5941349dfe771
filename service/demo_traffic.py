"""Sample traffic for the demo: events from a file, from the shared data, or the bundled examples, plus bad input."""

from __future__ import annotations

import csv
import json
import random
import uuid
from pathlib import Path
from typing import NamedTuple

from core.errors import DataError
from core.textfiles import jsonl_objects
from schemas.common import utc_now

EXAMPLES = Path(__file__).parent / "examples" / "sample_events.jsonl"
PLATFORMS = ("x", "facebook", "instagram", "reddit")


class DemoMessage(NamedTuple):
    """One message to produce, with what the demo expects of it."""

    topic: str
    key: bytes
    value: bytes
    expect_dlq: str | None


def load_events_file(path: Path) -> list[dict[str, object]]:
    """Events from a JSONL file, one JSON object a line; a clear error naming the line when one is not."""
    events: list[dict[str, object]] = [event for _, event in jsonl_objects(path, "events file")]
    if not events:
        raise DataError(f"events file is empty: {path}")
    return events


def sample_shared_events(data_dir: Path, n: int, rng: random.Random) -> list[dict[str, object]]:
    """About half complaints (CFPB narratives) and half social posts (Banking77 and CLINC150 queries)."""
    csv.field_size_limit(10**8)
    complaints = _read_column(data_dir / "cfpb" / "complaints.csv", "narrative")
    queries = _read_column(data_dir / "banking77" / "train.csv", "text") + _read_column(
        data_dir / "clinc150" / "train_val.csv", "text"
    )
    now = utc_now().isoformat()
    events: list[dict[str, object]] = []
    for i in range(n):
        if i % 2 == 0:
            events.append(
                {"kind": "complaint", "event_id": f"demo-c-{i}", "text": rng.choice(complaints), "created_at": now}
            )
        else:
            events.append(
                {
                    "kind": "social",
                    "event_id": f"demo-s-{i}",
                    "platform": rng.choice(PLATFORMS),
                    "author": f"@customer{rng.randrange(10_000)}",
                    "text": rng.choice(queries),
                    "created_at": now,
                }
            )
    return events


def _read_column(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle) if row.get(column)]


def malformed_messages(topic: str) -> list[DemoMessage]:
    """One message of each kind of bad input the router must dead-letter."""
    now = utc_now().isoformat()
    base = {"kind": "complaint", "event_id": "bad-x", "created_at": now}
    cases: list[tuple[bytes, str]] = [
        (b'{"kind": "complaint", "event_id": "bad-1", "text": ', "invalid_json"),
        (b'{"kind": "complaint", "text": "\xff\xfe\xfd"}', "not_utf8"),
        (json.dumps({**base, "kind": "fax", "text": "hello"}).encode(), "unknown_kind"),
        (json.dumps({**base, "text": "   "}).encode(), "empty_text"),
        (json.dumps({**base, "text": "card " * 25_000}).encode(), "oversized"),
        (json.dumps({**base, "text": "late fee", "created_at": "yesterday"}).encode(), "schema_error"),
    ]
    return [DemoMessage(topic, f"bad-{uuid.uuid4().hex[:8]}".encode(), value, reason) for value, reason in cases]


def build_traffic(
    events: list[dict[str, object]], complaints_topic: str, social_topic: str, with_malformed: bool, seed: int
) -> list[DemoMessage]:
    """Messages for the input topics (social posts to the social topic), bad ones mixed in at random places."""
    messages = [
        DemoMessage(
            social_topic if event.get("kind") == "social" else complaints_topic,
            str(event.get("event_id", uuid.uuid4().hex)).encode(),
            json.dumps(event).encode(),
            None,
        )
        for event in events
    ]
    if with_malformed:
        rng = random.Random(seed)  # noqa: S311 - sampling positions, not security
        for bad in malformed_messages(complaints_topic):
            messages.insert(rng.randrange(len(messages) + 1), bad)
    return messages
