"""The work-item store on both databases it supports: embedded SQLite and a real PostgreSQL server."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect

from console.db import make_engine, upgrade
from console.desk import Desk
from console.store import AlreadyResolvedError, ClaimedError, Incoming
from schemas.outputs import RoutedEvent, SourcePosition
from tests.console_fakes import Clock, RecordingPublisher, make_desk, triage_event

Setup = tuple[Desk, RecordingPublisher, Clock]


@pytest.fixture
def setup(database_url: str) -> Iterator[Setup]:
    made = make_desk(database_url)
    yield made
    made[0].store.engine.dispose()


def ingest(desk: Desk, events: list[RoutedEvent], first_offset: int = 0) -> tuple[int, int, int]:
    batch = [
        Incoming(e, SourcePosition(topic="routed.triage", partition=0, offset=first_offset + i))
        for i, e in enumerate(events)
    ]
    result = desk.store.ingest(batch, desk.clock())
    return result.new, result.duplicate, len(result.refused)


def test_migrations_create_the_tables_and_are_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"work_items", "resolutions", "alembic_version"} <= tables
    engine.dispose()


def test_redelivery_never_makes_a_second_item(setup: Setup) -> None:
    desk, _, _ = setup
    events = [triage_event(f"e-{i}") for i in range(50)]
    assert ingest(desk, events) == (50, 0, 0)
    assert ingest(desk, events[10:] + [triage_event("e-50")], 50) == (1, 40, 0)
    assert len(desk.store.list_items("alice", desk.clock(), limit=500)) == 51


def test_text_and_timestamps_round_trip(setup: Setup) -> None:
    desk, _, _ = setup
    text = 'Ça coûte 12,50 € — 💳 "quoted" \' and\nnew lines ' + "long " * 2000
    event = triage_event("e-1", text=text, priority="urgent", explanation=["coûte", "💳"])
    ingest(desk, [event])
    item = desk.store.get("e-1")
    assert item.text == text and item.explanation == ["coûte", "💳"] and item.created_at == event.event.created_at
    assert item.created_at.tzinfo is not None and RoutedEvent.model_validate(item.routed) == event


def test_nul_characters_are_kept_out_of_text_columns_and_published_whole(setup: Setup) -> None:
    desk, publisher, _ = setup
    nul = triage_event("nul", text="before\x00after").model_copy(update={"label": "odd\x00label"})
    assert ingest(desk, [triage_event("a"), nul, triage_event("b")]) == (3, 0, 0)
    assert desk.store.get("nul").text == "before\ufffdafter"  # PostgreSQL cannot store NUL in text
    resolution = desk.resolve("nul", "alice", "cards", None, "a note\x00with NUL")
    assert resolution.note == "a note\ufffdwith NUL" and resolution.model_label == "odd\ufffdlabel"
    routed = RoutedEvent.model_validate_json(publisher.transactions[0][0].value)
    assert routed.event.text == "before\x00after"


def test_racing_agents_resolve_once(setup: Setup) -> None:
    desk, publisher, _ = setup
    ingest(desk, [triage_event(f"e-{i}") for i in range(5)])
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(8)

    def agent(number: int) -> None:
        start.wait()
        for i in range(5):
            try:
                desk.resolve(f"e-{i}", f"agent-{number}", "cards" if number % 2 else "loans", None, None)
                result = "won"
            except AlreadyResolvedError:
                result = "lost"
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == {"won": 5, "lost": 35}
    assert len(publisher.transactions) == 5
    assert sorted(t[0].key for t in publisher.transactions) == [f"e-{i}".encode() for i in range(5)]


def test_claims_and_returns(setup: Setup) -> None:
    desk, _, clock = setup
    ingest(desk, [triage_event("e-1")])
    desk.claim("e-1", "alice")
    with pytest.raises(ClaimedError):
        desk.resolve("e-1", "bob", "cards", None, None)
    clock.advance(desk.settings.claim_ttl_s + 1)
    desk.resolve("e-1", "bob", "cards", None, None)
    item = desk.put_back("e-1", None, "a loan question", "cards-desk")
    assert (item.status, item.round, item.reason) == ("open", 2, "returned")
    assert desk.resolve("e-1", "alice", "loans", None, None).round == 2
    stats = desk.store.stats(clock.now, 3600)
    assert stats.open_items == 0 and sum(stats.resolutions.values()) == 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(min_size=1, max_size=3000).filter(str.strip),
    terms=st.lists(st.text(max_size=40), max_size=5),
    label=st.text(min_size=1, max_size=500),
)
def test_any_valid_event_is_stored_or_refused_never_raised(
    setup: Setup, text: str, terms: list[str], label: str
) -> None:
    desk, _, _ = setup
    event = triage_event(f"f-{uuid.uuid4().hex}", text=text, explanation=terms)
    event = event.model_copy(update={"label": label})
    assert ingest(desk, [event]) == (1, 0, 0)
    assert desk.store.get(event.event.event_id).text == text.replace("\x00", "\ufffd")
    assert desk.resolve(event.event.event_id, "alice", "cards", None, label).outcome == "top1"
