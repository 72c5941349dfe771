"""Queue logic, claims, idempotent resolution and returns on a SQLite work-item database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from console.desk import Desk
from console.store import AlreadyResolvedError, ClaimedError, Incoming, NotFoundError
from schemas.feedback import Feedback
from schemas.outputs import RoutedEvent, SourcePosition
from tests.console_fakes import T0, Clock, RecordingPublisher, make_desk, triage_event

Setup = tuple[Desk, RecordingPublisher, Clock]


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return make_desk(f"sqlite:///{tmp_path / 'console.sqlite3'}")


def ingest(desk: Desk, *events: RoutedEvent) -> tuple[int, int]:
    batch = [Incoming(e, SourcePosition(topic="routed.triage", partition=0, offset=i)) for i, e in enumerate(events)]
    result = desk.store.ingest(batch, desk.clock())
    return result.new, result.duplicate


def open_ids(desk: Desk, agent: str = "alice", **filters: str) -> list[str]:
    return [item.event_id for item in desk.store.list_items(agent, desk.clock(), **filters)]  # type: ignore[arg-type]


def test_one_item_per_event_however_often_it_is_delivered(setup: Setup) -> None:
    desk, _, _ = setup
    assert ingest(desk, triage_event("e-1"), triage_event("e-2")) == (2, 0)
    assert ingest(desk, triage_event("e-1"), triage_event("e-2"), triage_event("e-3")) == (1, 2)
    assert ingest(desk, triage_event("e-1"), triage_event("e-1")) == (0, 2)
    assert sorted(open_ids(desk)) == ["e-1", "e-2", "e-3"]


def test_the_queue_is_urgent_first_then_oldest(setup: Setup) -> None:
    desk, _, _ = setup
    ingest(
        desk,
        triage_event("new-normal", created_at=T0.replace(minute=30)),
        triage_event("old-normal", created_at=T0.replace(minute=1)),
        triage_event("new-urgent", created_at=T0.replace(minute=40), priority="urgent"),
        triage_event("old-urgent", created_at=T0.replace(minute=5), priority="urgent"),
    )
    assert open_ids(desk) == ["old-urgent", "new-urgent", "old-normal", "new-normal"]
    assert open_ids(desk, priority="normal") == ["old-normal", "new-normal"]


def test_the_department_filter_is_the_models_top_suggestion(setup: Setup) -> None:
    desk, _, _ = setup
    ingest(desk, triage_event("card"), triage_event("loan", alternatives=(("cfpb:loans", "loans", 0.5),)))
    assert open_ids(desk, department="loans") == ["loan"]
    assert open_ids(desk, department="cards") == ["card"]


def test_a_claim_hides_the_item_from_others_until_it_expires(setup: Setup) -> None:
    desk, _, clock = setup
    ingest(desk, triage_event("e-1"), triage_event("e-2"))
    item = desk.claim("e-1", "alice")
    assert item.claimed_by == "alice"
    assert open_ids(desk, "bob") == ["e-2"]
    assert open_ids(desk, "alice") == ["e-1", "e-2"]
    with pytest.raises(ClaimedError) as caught:
        desk.claim("e-1", "bob")
    assert caught.value.agent == "alice"
    desk.claim("e-1", "alice")  # renewing one's own claim is fine
    clock.advance(desk.settings.claim_ttl_s + 1)
    assert open_ids(desk, "bob") == ["e-1", "e-2"]
    assert desk.claim("e-1", "bob").claimed_by == "bob"


def test_a_claimed_item_cannot_be_resolved_by_someone_else(setup: Setup) -> None:
    desk, publisher, _ = setup
    ingest(desk, triage_event("e-1"))
    desk.claim("e-1", "alice")
    with pytest.raises(ClaimedError):
        desk.resolve("e-1", "bob", "cards", None, None)
    assert publisher.transactions == []


def test_resolving_publishes_the_routed_event_and_the_feedback_in_one_transaction(setup: Setup) -> None:
    desk, publisher, clock = setup
    ingest(desk, triage_event("e-1", priority="urgent"))
    resolution = desk.resolve("e-1", "alice", "payments", None, "customer says transfer")
    assert resolution.outcome == "top3" and resolution.published_at == clock.now
    (transaction,) = publisher.transactions
    assert [r.topic for r in transaction] == ["routed.payments", "tickets.feedback"]
    assert all(r.key == b"e-1" for r in transaction)
    routed = RoutedEvent.model_validate_json(transaction[0].value)
    assert routed.reason == "agent" and routed.agent == "alice" and routed.department == "payments"
    assert routed.label == "banking77:transfer_not_received" and routed.priority == "urgent"
    assert routed.suggested is not None and routed.suggested.department == "cards"
    feedback = Feedback.model_validate_json(transaction[1].value)
    assert (feedback.correct_department, feedback.routed_department, feedback.agent) == ("payments", "triage", "alice")
    assert open_ids(desk) == []
    assert desk.store.get("e-1").status == "resolved"
    audit = desk.store.latest_resolution("e-1")
    assert audit is not None and (audit.agent, audit.department, audit.note) == (
        "alice",
        "payments",
        "customer says transfer",
    )
    assert (audit.model_department, audit.model_label) == ("cards", "banking77:card_payment_wrong_exchange_rate")


def test_resolving_twice_publishes_once_and_names_the_winner(setup: Setup) -> None:
    desk, publisher, _ = setup
    ingest(desk, triage_event("e-1"))
    desk.resolve("e-1", "alice", "cards", None, None)
    for agent, department in (("alice", "cards"), ("bob", "loans")):
        with pytest.raises(AlreadyResolvedError) as caught:
            desk.resolve("e-1", agent, department, None, None)
        assert caught.value.resolution.agent == "alice" and caught.value.resolution.department == "cards"
    assert len(publisher.transactions) == 1


def test_not_about_banking_sends_feedback_only(setup: Setup) -> None:
    desk, publisher, _ = setup
    ingest(desk, triage_event("e-1"))
    resolution = desk.resolve("e-1", "alice", "not_banking", None, None)
    assert resolution.department == "triage"
    (transaction,) = publisher.transactions
    assert [r.topic for r in transaction] == ["tickets.feedback"]
    assert Feedback.model_validate_json(transaction[0].value).correct_department == "triage"


def test_a_failed_publish_keeps_the_decision_and_is_published_later(setup: Setup) -> None:
    desk, publisher, clock = setup
    ingest(desk, triage_event("e-1"))
    publisher.down = True
    resolution = desk.resolve("e-1", "alice", "cards", None, None)
    assert resolution.published_at is None and publisher.transactions == []
    with pytest.raises(AlreadyResolvedError):
        desk.resolve("e-1", "bob", "loans", None, None)
    publisher.down = False
    assert desk.publish_pending() == 0  # too recent: the first publish may still be under way
    clock.advance(60)
    assert desk.publish_pending() == 1
    assert desk.publish_pending() == 0
    (transaction,) = publisher.transactions
    assert RoutedEvent.model_validate_json(transaction[0].value).routed_at == resolution.resolved_at


def test_unknown_items_are_not_found(setup: Setup) -> None:
    desk, _, _ = setup
    for action in (
        lambda: desk.claim("nope", "alice"),
        lambda: desk.resolve("nope", "alice", "cards", None, None),
        lambda: desk.put_back("nope", None, None, "cards-team"),
    ):
        with pytest.raises(NotFoundError):
            action()


def test_a_returned_event_is_queued_again_for_a_new_decision(setup: Setup) -> None:
    desk, publisher, _ = setup
    ingest(desk, triage_event("e-1"))
    desk.resolve("e-1", "alice", "cards", None, None)
    item = desk.put_back("e-1", None, "this is a mortgage question", "cards-team")
    assert (item.status, item.reason, item.round, item.note) == ("open", "returned", 2, "this is a mortgage question")
    assert desk.put_back("e-1", None, "again", "cards-team").note == "this is a mortgage question"
    assert open_ids(desk) == ["e-1"]
    resolution = desk.resolve("e-1", "bob", "mortgages", None, None)
    assert resolution.round == 2 and len(publisher.transactions) == 2


def test_a_confidently_routed_event_can_be_returned_with_its_routed_event(setup: Setup) -> None:
    desk, publisher, _ = setup
    routed = triage_event("e-9").model_copy(update={"department": "cards", "reason": "confident"})
    item = desk.put_back("e-9", routed, "not ours", "cards-team")
    assert (item.reason, item.returned_by, item.top_department) == ("returned", "cards-team", "cards")
    desk.resolve("e-9", "alice", "accounts", None, None)
    feedback = Feedback.model_validate_json(publisher.transactions[0][1].value)
    assert (feedback.routed_department, feedback.correct_department) == ("cards", "accounts")


def test_stats_count_open_items_age_and_agreement(setup: Setup) -> None:
    desk, _, clock = setup
    ingest(desk, triage_event("a"), triage_event("b", priority="urgent"), triage_event("c"), triage_event("d"))
    clock.advance(120)
    desk.resolve("a", "alice", "cards", None, None)  # top1
    desk.resolve("b", "alice", "accounts", None, None)  # top3
    desk.resolve("c", "alice", "mortgages", None, None)  # other
    stats = desk.store.stats(clock.now, 3600)
    assert stats.open_items == 1 and stats.open_by_priority == {"normal": 1}
    assert stats.oldest_open_age_s == pytest.approx(120)
    assert stats.resolutions == {"top1": 1, "top3": 1, "other": 1}
    assert stats.agreement_top1 == pytest.approx(1 / 3) and stats.agreement_top3 == pytest.approx(2 / 3)
    clock.advance(7200)
    assert desk.store.stats(clock.now, 3600).agreement_top1 is None
    desk.refresh_gauges()
    assert desk.metrics.oldest_open_age._value.get() == pytest.approx(7320)  # type: ignore[attr-defined]


def test_a_record_the_store_cannot_keep_is_refused_and_the_rest_stored(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, _, _ = setup
    import console.store as store_module

    real: Callable[..., object] = store_module._new_item

    def explode_on_bad(routed: RoutedEvent, *args: object) -> object:
        if routed.event.event_id == "bad":
            raise RuntimeError("boom")
        return real(routed, *args)

    monkeypatch.setattr(store_module, "_new_item", explode_on_bad)
    batch = [
        Incoming(triage_event(i), SourcePosition(topic="t", partition=0, offset=n))
        for n, i in enumerate(["a", "bad", "c"])
    ]
    result = desk.store.ingest(batch, desk.clock())
    assert (result.new, result.duplicate) == (2, 0)
    assert [p.offset for p in result.refused] == [1]
    assert sorted(open_ids(desk)) == ["a", "c"]
