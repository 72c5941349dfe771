"""The feedback loop's pure parts: validate → store → count, invalid records counted, references resolved."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from schemas.common import utc_now
from schemas.events import ComplaintEvent
from schemas.outputs import RoutedEvent
from streaming.kafka_config import KafkaSettings
from training.feedback.consumer import FeedbackConsumer, store_record
from training.feedback.routed_fetch import text_of
from training.feedback.store import Correction, FeedbackStore, PendingText
from training.metrics import TrainerMetrics


class Rec(NamedTuple):
    topic: str
    partition: int
    offset: int
    value: bytes | None


def _value(ticket: str, **extra: object) -> bytes:
    body = {
        "ticket_id": ticket,
        "correct_department": "loans",
        "agent": "a1",
        "created_at": "2026-11-24T12:00:00+01:00",
        **extra,
    }
    return json.dumps(body).encode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FeedbackStore]:
    with FeedbackStore(tmp_path / "fb.sqlite3") as opened:
        yield opened


def test_valid_invalid_and_duplicate_records(store: FeedbackStore, caplog: pytest.LogCaptureFixture) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    records = [
        Rec("fb", 0, 0, _value("t1", text="secret personal text")),
        Rec("fb", 0, 1, b"{not json"),
        Rec("fb", 0, 2, _value("t2")),  # neither text nor reference
        Rec("fb", 1, 7, None),
        Rec("fb", 0, 3, _value("t1", text="secret personal text")),
    ]
    outcomes = [store_record(store, metrics, r) for r in records]
    assert outcomes == ["new", "invalid", "invalid", "invalid", "stale"]
    sample = metrics.registry.get_sample_value
    assert sample("ticket_trainer_corrections_received_total", {"outcome": "invalid"}) == 3
    assert sample("ticket_trainer_corrections_received_total", {"outcome": "new"}) == 1
    assert "fb[0]@1" in caplog.text and "fb[1]@7" in caplog.text, "invalid records are logged by offset"
    assert "secret personal text" not in caplog.text
    assert store.corrections() == [Correction("t1", "secret personal text", "loans")]


def test_reference_only_correction_is_resolved_by_the_fetcher(store: FeedbackStore) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    ref = {"topic": "routed.cards", "partition": 2, "offset": 5}
    assert store_record(store, metrics, Rec("fb", 0, 0, _value("t9", routed_event=ref))) == "pending"
    asked: list[Sequence[PendingText]] = []

    def fetch(wanted: Sequence[PendingText]) -> dict[str, str]:
        asked.append(wanted)
        return {"t9": "text from the routed event"}

    consumer = FeedbackConsumer(KafkaSettings(), "fb", "g", store, metrics, fetcher=fetch)
    assert consumer.resolve_pending() == 1
    assert asked == [[PendingText("t9", "routed.cards", 2, 5)]]
    assert store.corrections() == [Correction("t9", "text from the routed event", "loans")]
    assert consumer.resolve_pending() == 0, "nothing left to read"


def test_text_of_checks_the_ticket() -> None:
    event = ComplaintEvent(kind="complaint", event_id="t1", text="hello loans", created_at=utc_now())
    routed = RoutedEvent(
        event=event,
        department="cards",
        reason="confident",
        label="cards",
        confidence=0.9,
        model_version="v1",
        routed_at=utc_now(),
    )
    value = routed.model_dump_json().encode()
    assert text_of(value, "t1") == "hello loans"
    assert text_of(value, "other") is None, "an offset that points at another ticket's event"
    assert text_of(b"junk", "t1") is None and text_of(None, "t1") is None


@pytest.mark.parametrize(
    "reference",
    [
        {"topic": "no such topic!!", "partition": 0, "offset": 1},
        {"topic": "routed.cards", "partition": 0, "offset": 2**70},
        {"topic": "routed.cards", "partition": 2**40, "offset": 1},
        {"topic": "x" * 250, "partition": 0, "offset": 1},
    ],
)
def test_poison_references_are_refused_and_the_next_correction_is_stored(
    store: FeedbackStore, reference: dict[str, object]
) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    assert store_record(store, metrics, Rec("fb", 0, 0, _value("t1", routed_event=reference))) == "invalid"
    assert store_record(store, metrics, Rec("fb", 0, 1, _value("t2", text="a loan question"))) == "new"
    assert store.pending_texts() == []


@pytest.mark.parametrize("created_at", ["9999-12-31T23:00:00-01:00", "0001-01-01T00:00:00+00:01"])
def test_timestamps_out_of_range_are_invalid_corrections(store: FeedbackStore, created_at: str) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    assert store_record(store, metrics, Rec("fb", 0, 0, _value("t1", text="x", created_at=created_at))) == "invalid"


def test_an_unexpected_error_refuses_one_correction_only(
    store: FeedbackStore, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = TrainerMetrics(CollectorRegistry())

    class Flaky(FeedbackStore):
        def add(self, feedback, received_at):  # type: ignore[no-untyped-def]
            if feedback.ticket_id == "boom":
                raise OverflowError("Python int too large to convert to SQLite INTEGER")
            return super().add(feedback, received_at)

    with Flaky(store.path) as flaky:
        assert store_record(flaky, metrics, Rec("fb", 0, 0, _value("boom", text="x"))) == "internal_error"
        assert store_record(flaky, metrics, Rec("fb", 0, 1, _value("t2", text="x"))) == "new"
    assert (
        metrics.registry.get_sample_value("ticket_trainer_corrections_received_total", {"outcome": "internal_error"})
        == 1
    )
    assert "fb[0]@0" in caplog.text and "OverflowError" in caplog.text


def test_invalid_values_never_reach_the_log(store: FeedbackStore, caplog: pytest.LogCaptureFixture) -> None:
    metrics = TrainerMetrics(CollectorRegistry())
    value = _value("4111111111111111", text="", correct_department="SSN 078-05-1120", agent="jane@example.com")
    assert store_record(store, metrics, Rec("fb", 0, 0, value)) == "invalid"
    for secret in ("4111111111111111", "078-05-1120", "jane@example.com"):
        assert secret not in caplog.text
    assert "correct_department" in caplog.text, "the log names the fields"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.binary(max_size=500)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=6),
    ).map(lambda v: json.dumps(v).encode())
    | st.fixed_dictionaries(
        {
            "routed_event": st.fixed_dictionaries(
                {"topic": st.text(max_size=300), "partition": st.integers(), "offset": st.integers()}
            ),
            "created_at": st.text(max_size=40),
        }
    ).map(lambda extra: _value("t", **extra))
)
def test_any_record_is_stored_or_refused(store: FeedbackStore, value: bytes) -> None:
    outcome = store_record(store, TrainerMetrics(CollectorRegistry()), Rec("fb", 0, 0, value))
    assert outcome in {"new", "updated", "stale", "pending", "invalid"}
