"""The corrections store: one row per ticket, the latest correction wins, new-since-refresh counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas.feedback import Feedback
from schemas.outputs import SourcePosition
from training.feedback.store import MAX_FETCH_ATTEMPTS, Correction, FeedbackStore, StoreOutcome

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def fb(
    ticket: str, department: str = "loans", text: str | None = "my loan", minutes: int = 0, **kw: object
) -> Feedback:
    return Feedback(
        ticket_id=ticket,
        text=text,
        correct_department=department,  # type: ignore[arg-type]
        agent="agent-7",
        created_at=T0 + timedelta(minutes=minutes),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FeedbackStore]:
    with FeedbackStore(tmp_path / "var" / "fb.sqlite3") as opened:
        yield opened


def test_latest_correction_wins_whatever_the_arrival_order(store: FeedbackStore) -> None:
    assert store.add(fb("t1", "loans", minutes=5), T0) is StoreOutcome.NEW
    assert store.add(fb("t1", "cards", minutes=1), T0) is StoreOutcome.STALE, "an older correction arrived late"
    assert store.corrections() == [Correction("t1", "my loan", "loans")]
    assert store.add(fb("t1", "mortgages", minutes=9), T0) is StoreOutcome.UPDATED
    assert store.corrections() == [Correction("t1", "my loan", "mortgages")]
    assert store.count() == 1


def test_redelivered_correction_is_not_new_again(store: FeedbackStore) -> None:
    store.add(fb("t1"), T0)
    store.mark_refreshed(["t1"], "r1")
    assert store.add(fb("t1"), T0 + timedelta(hours=1)) is StoreOutcome.STALE
    assert store.count_new() == 0


def test_same_time_different_department_takes_the_later_arrival(store: FeedbackStore) -> None:
    store.add(fb("t1", "loans"), T0)
    assert store.add(fb("t1", "cards"), T0) is StoreOutcome.UPDATED
    assert store.corrections()[0].department == "cards"


def test_new_since_refresh_counts_and_an_update_counts_again(store: FeedbackStore) -> None:
    for i in range(3):
        store.add(fb(f"t{i}"), T0)
    assert store.count_new() == 3
    assert store.mark_refreshed(["t0", "t1", "t2"], "r1") == 3
    assert store.count_new() == 0
    store.add(fb("t1", "cards", minutes=1), T0)
    assert store.count_new() == 1
    assert store.mark_refreshed(["t0", "t1"], "r2") == 1, "already-refreshed rows keep their refresh id"


def test_store_is_durable_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    with FeedbackStore(path) as store:
        store.add(fb("t1"), T0)
    with FeedbackStore(path) as store:
        assert store.corrections() == [Correction("t1", "my loan", "loans")]


def test_reference_without_text_waits_for_its_text(store: FeedbackStore) -> None:
    ref = SourcePosition(topic="routed.cards", partition=1, offset=42)
    store.add(fb("t1", text=None, routed_event=ref), T0)
    assert store.count_new() == 0 and store.corrections() == [], "no text yet: not a training example"
    [pending] = store.pending_texts()
    assert (pending.topic, pending.partition, pending.offset) == ("routed.cards", 1, 42)
    store.resolve_texts({"t1": "the loan text"}, [])
    assert store.corrections() == [Correction("t1", "the loan text", "loans")]
    assert store.pending_texts() == [] and store.count_new() == 1


def test_unreadable_reference_is_given_up_after_some_attempts(store: FeedbackStore) -> None:
    store.add(fb("t1", text=None, routed_event=SourcePosition(topic="x", partition=0, offset=1)), T0)
    for _ in range(MAX_FETCH_ATTEMPTS):
        assert store.pending_texts()
        store.resolve_texts({}, ["t1"])
    assert store.pending_texts() == []
    assert store.count() == 1 and store.corrections() == [], "kept, without a text, never trained on"


def test_a_newer_reference_only_correction_keeps_the_known_text(store: FeedbackStore) -> None:
    ref = SourcePosition(topic="routed.cards", partition=0, offset=3)
    store.add(fb("t1", text=None, routed_event=ref), T0)
    store.resolve_texts({"t1": "resolved"}, [])
    assert store.add(fb("t1", "cards", text=None, routed_event=ref, minutes=1), T0) is StoreOutcome.UPDATED
    assert store.corrections() == [Correction("t1", "resolved", "cards")]


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "x.sqlite3")
    with pytest.raises(RuntimeError, match="not open"):
        store.count()
    store.close()
    store.close()


def test_a_correction_replaced_during_a_refresh_stays_new(store: FeedbackStore) -> None:
    store.add(fb("t1"), T0)
    store.add(fb("t2"), T0)
    read_at = T0 + timedelta(minutes=1)
    store.add(fb("t2", "cards", minutes=2), T0 + timedelta(minutes=2))  # arrives while the refresh trains
    assert store.mark_refreshed(["t1", "t2"], "r1", read_at) == 1
    assert store.count_new() == 1
