"""The queue's rules without a database: decoding triage records, suggestions, outcomes, outgoing records."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.queue import (
    RecordRefusedError,
    agent_routed,
    choose_label,
    decode_triage,
    feedback_for,
    outcome,
    suggestions,
)
from schemas.outputs import RoutedEvent
from tests.console_fakes import T0, triage_event

MAX = 1_000_000


def test_a_triage_event_decodes() -> None:
    event = triage_event("e-1", priority="urgent")
    decoded = decode_triage(event.model_dump_json().encode(), MAX)
    assert decoded == event and decoded.priority == "urgent" and decoded.explanation == ["charged", "card"]


def test_an_event_from_before_priority_and_explanation_existed_decodes_with_defaults() -> None:
    data = json.loads(triage_event("e-1").model_dump_json())
    for name in ("priority", "explanation", "agent", "suggested"):
        del data[name]
    decoded = decode_triage(json.dumps(data).encode(), MAX)
    assert decoded.priority == "normal" and decoded.explanation == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty"),
        (b"", "empty"),
        (b"{not json", "invalid"),
        (b"\xff\xfe\x00", "invalid"),
        (b'{"kind": "complaint"}', "invalid"),
        (b"x" * (MAX + 1), "oversized"),
    ],
)
def test_bad_records_are_refused_with_a_reason(value: bytes | None, reason: str) -> None:
    with pytest.raises(RecordRefusedError) as caught:
        decode_triage(value, MAX)
    assert caught.value.reason == reason


def test_an_event_routed_elsewhere_is_not_queued() -> None:
    event = triage_event("e-1").model_copy(update={"department": "cards", "reason": "confident"})
    with pytest.raises(RecordRefusedError) as caught:
        decode_triage(event.model_dump_json().encode(), MAX)
    assert caught.value.reason == "not_triage"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_decode_or_are_refused(value: bytes) -> None:
    try:
        assert isinstance(decode_triage(value, MAX), RoutedEvent)
    except RecordRefusedError as exc:
        assert exc.reason in {"empty", "invalid", "oversized", "not_triage"}


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=30,
    )
)
def test_arbitrary_json_decodes_or_is_refused(value: object) -> None:
    with pytest.raises(RecordRefusedError):
        decode_triage(json.dumps(value).encode(), MAX)


def test_suggestions_are_the_models_answer_then_the_next_departments() -> None:
    offered = suggestions(triage_event("e-1"))
    assert [(s.department, s.label) for s in offered] == [
        ("cards", "banking77:card_payment_wrong_exchange_rate"),
        ("payments", "banking77:transfer_not_received"),
        ("accounts", "cfpb:checking_account"),
    ]


def test_an_out_of_scope_event_suggests_not_about_banking_first() -> None:
    event = triage_event(
        "e-1", reason="out_of_scope", alternatives=(("clinc150:weather", "triage", 0.7), ("cfpb:loans", "loans", 0.2))
    )
    assert [s.department for s in suggestions(event)] == ["triage", "loans"]
    older = event.model_copy(update={"suggested": None})  # written before routed events carried the answer
    assert [s.department for s in suggestions(older)] == ["triage", "loans"]


def test_without_the_models_answer_the_alternatives_remain() -> None:
    event = triage_event("e-1").model_copy(update={"suggested": None})
    assert [s.department for s in suggestions(event)] == ["payments", "accounts", "cards"]
    assert suggestions(event.model_copy(update={"alternatives": []})) == []


def test_outcome_compares_the_choice_with_the_suggestions() -> None:
    offered = suggestions(triage_event("e-1"))
    assert outcome("cards", offered) == "top1"
    assert outcome("accounts", offered) == "top3"
    assert outcome("mortgages", offered) == "other"
    assert outcome("cards", []) == "other"


def test_the_label_is_the_agents_or_the_models_best_in_that_department() -> None:
    event = triage_event("e-1")
    offered = suggestions(event)
    assert choose_label("payments", None, offered, event) == "banking77:transfer_not_received"
    assert choose_label("payments", "banking77:top_up_failed", offered, event) == "banking77:top_up_failed"
    assert choose_label("mortgages", None, offered, event) == event.label


def test_the_agent_routed_event_names_the_agent_and_keeps_the_models_suggestion() -> None:
    event = triage_event("e-1", priority="urgent")
    routed = agent_routed(event, "payments", "banking77:transfer_not_received", "alice", T0)
    assert routed.department == "payments" and routed.reason == "agent" and routed.agent == "alice"
    assert routed.suggested is not None and routed.suggested.department == "cards"
    assert routed.confidence == pytest.approx(0.33) and routed.routed_at == T0
    assert routed.event == event.event and routed.priority == "urgent" and routed.explanation == event.explanation
    assert RoutedEvent.model_validate_json(routed.model_dump_json()) == routed


def test_the_feedback_carries_the_text_and_both_departments() -> None:
    feedback = feedback_for(triage_event("e-1"), "payments", "alice", T0)
    assert feedback.ticket_id == "e-1" and feedback.text == "my card was charged twice for one purchase"
    assert feedback.routed_department == "triage" and feedback.correct_department == "payments"
    assert feedback.agent == "alice" and feedback.created_at == T0
