"""A batch yields one output per input, in order, with one model call; triage and DLQ decisions are right."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from classifier.prediction import MAX_ALTERNATIVES, Prediction, Scored
from core.errors import ClassifierError
from schemas.decisions import CurvePoint, DecisionCurves, DepartmentCurve, SegmentCurves
from schemas.outputs import DeadLetter, RoutedEvent
from service import pipeline
from service.decisions import DecisionRules
from service.pipeline import BatchPolicy, process_batch
from service.priority import PriorityMap
from service.routing import InRecord, decide
from service.settings import RouterSettings
from tests.unit.fakes import KeywordClassifier

NOW = datetime(2026, 11, 24, tzinfo=UTC)
POLICY = BatchPolicy(topic_prefix="routed.", dlq_topic="tickets.dlq", max_message_bytes=10_000)


def _event(i: int, text: str) -> bytes:
    return json.dumps(
        {"kind": "complaint", "event_id": f"e{i}", "text": text, "created_at": "2026-11-24T00:00:00Z"}
    ).encode()


def _records(values: list[bytes | None]) -> list[InRecord]:
    return [InRecord("tickets.complaints", 0, i, f"e{i}".encode(), v, 0) for i, v in enumerate(values)]


def test_decide_sends_out_of_scope_and_unsure_to_triage() -> None:
    assert decide(Prediction("oos", "triage", 0.99), 0.5) == ("triage", "out_of_scope")
    assert decide(Prediction("fee", "cards", 0.49), 0.5) == ("triage", "low_confidence")
    assert decide(Prediction("fee", "cards", 0.5), 0.5) == ("cards", "confident")


def test_every_record_yields_one_output_in_order() -> None:
    values = [_event(0, "my card"), b"{bad", _event(2, "mortgage late"), _event(3, "hello there"), b"\xff"]
    classifier = KeywordClassifier()
    result = process_batch(_records(values), classifier, POLICY, NOW)
    assert classifier.calls == [3], "valid events are classified in one call"
    topics = [o.topic for o in result.outgoing]
    assert topics == ["routed.cards", "tickets.dlq", "routed.mortgages", "routed.triage", "tickets.dlq"]
    assert result.dead_letter_reasons == ["invalid_json", "not_utf8"]
    routed = RoutedEvent.model_validate_json(result.outgoing[0].value)
    assert routed.event.event_id == "e0" and routed.model_version == "fake-1"
    assert routed.alternatives[0].department == "payments"
    assert result.outgoing[0].key == b"e0"
    assert ("model-version", b"fake-1") in result.outgoing[0].headers
    unsure = RoutedEvent.model_validate_json(result.outgoing[3].value)
    assert unsure.reason == "low_confidence" and unsure.label == "unknown"


def test_dead_letter_keeps_source_position_and_raw_bytes() -> None:
    raw = b"\xff\xfe not utf8"
    result = process_batch([InRecord("tickets.social", 3, 41, b"\xfe", raw, 0)], KeywordClassifier(), POLICY, NOW)
    letter = DeadLetter.model_validate_json(result.outgoing[0].value)
    assert (letter.source.topic, letter.source.partition, letter.source.offset) == ("tickets.social", 3, 41)
    assert letter.raw_bytes() == raw and letter.reason == "not_utf8"


def test_dead_letter_carries_the_redrive_count_of_its_input() -> None:
    """The redrive loop guard survives a round trip: input header -> dead letter header."""
    headers = [("traceparent", b"00-x"), ("redrive-count", b"2")]
    redriven = InRecord("tickets.complaints", 0, 7, b"k", b"{bad", 0, headers)
    fresh = InRecord("tickets.complaints", 0, 8, b"k", b"{bad", 0)
    out = process_batch([redriven, fresh], KeywordClassifier(), POLICY, NOW).outgoing
    assert out[0].headers == [("dlq-reason", b"invalid_json"), ("redrive-count", b"2")]
    assert out[1].headers == [("dlq-reason", b"invalid_json")]


def test_threshold_override_wins_over_the_classifier() -> None:
    strict = BatchPolicy(topic_prefix="routed.", dlq_topic="dlq", max_message_bytes=10_000, threshold=0.95)
    result = process_batch(_records([_event(0, "card lost")]), KeywordClassifier(), strict, NOW)
    assert result.outgoing[0].topic == "routed.triage"


def test_all_invalid_batch_makes_no_model_call() -> None:
    classifier = KeywordClassifier()
    result = process_batch(_records([b"{", None]), classifier, POLICY, NOW)
    assert classifier.calls == [] and len(result.outgoing) == 2


def test_alternatives_are_cut_to_top_k() -> None:
    one = BatchPolicy(topic_prefix="routed.", dlq_topic="dlq", max_message_bytes=10_000, top_k=1)

    class Many(KeywordClassifier):
        def predict(self, texts):  # type: ignore[no-untyped-def]
            alts = tuple(Scored(f"a{i}", "payments", 0.01) for i in range(5))
            return [Prediction("x", "cards", 0.9, alts) for _ in texts]

    result = process_batch(_records([_event(0, "card")]), Many(), one, NOW)
    assert len(result.routed[0].alternatives) == 1


def test_top_k_is_at_most_what_a_bundle_ranks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKET_ROUTER_TOP_K", "5")
    assert RouterSettings().top_k == MAX_ALTERNATIVES == 5
    monkeypatch.setenv("TICKET_ROUTER_TOP_K", "6")
    with pytest.raises(ValidationError, match="top_k\n.*less than or equal to 5"):
        RouterSettings()


def _curves(complaint_cards: float | None, social_cards: float) -> DecisionCurves:
    def segment(threshold: float | None) -> SegmentCurves:
        point = CurvePoint(target=0.95, threshold=threshold, precision=0.95, coverage=0.5, routed=10)
        return SegmentCurves(
            examples=100, pooled=[point], departments={"cards": DepartmentCurve(examples=100, points=[point])}
        )

    return DecisionCurves(
        rule="test", min_examples=30, targets=[0.95],
        segments={"complaint": segment(complaint_cards), "social": segment(social_cards)},
    )  # fmt: skip


def _social(i: int, text: str) -> bytes:
    return json.dumps(
        {"kind": "social", "event_id": f"s{i}", "platform": "x", "author": "@a", "text": text,
         "created_at": "2026-11-24T00:00:00Z"}
    ).encode()  # fmt: skip


def test_each_event_kind_is_held_to_its_own_curve() -> None:
    # The fake is 0.9 sure of "card": enough for social messages (0.8), not for complaints (0.95).
    classifier = KeywordClassifier(curves=_curves(0.95, 0.8))
    result = process_batch(_records([_event(0, "card"), _social(1, "card")]), classifier, POLICY, NOW)
    assert [o.topic for o in result.outgoing] == ["routed.triage", "routed.cards"]
    assert result.routed[0].reason == "low_confidence"
    unreachable = KeywordClassifier(curves=_curves(None, 0.8))
    result = process_batch(_records([_event(0, "card")]), unreachable, POLICY, NOW)
    assert result.outgoing[0].topic == "routed.triage", "a target never reached routes nothing automatically"
    override = BatchPolicy(topic_prefix="routed.", dlq_topic="dlq", max_message_bytes=10_000, threshold=0.5)
    result = process_batch(_records([_event(0, "card")]), classifier, override, NOW)
    assert result.outgoing[0].topic == "routed.cards", "the explicit global threshold replaces the targets"


def test_priority_header_and_urgent_events_in_triage() -> None:
    rules = DecisionRules(priorities=PriorityMap(frozenset({"cards_label"})))
    policy = BatchPolicy(topic_prefix="routed.", dlq_topic="dlq", max_message_bytes=10_000, rules=rules)
    classifier = KeywordClassifier(curves=_curves(0.95, 0.8))
    result = process_batch(
        _records([_event(0, "card"), _social(1, "card"), _event(2, "loan")]), classifier, policy, NOW
    )
    assert [(r.department, r.priority) for r in result.routed] == [
        ("triage", "urgent"),  # below the complaint threshold: still triage, but flagged urgent
        ("cards", "urgent"),
        ("triage", "normal"),
    ]
    assert [dict(o.headers)["priority"] for o in result.outgoing] == [b"urgent", b"urgent", b"normal"]
    assert RoutedEvent.model_validate_json(result.outgoing[0].value).priority == "urgent"


def test_explanations_for_triage_by_default_or_for_all() -> None:
    classifier = KeywordClassifier(curves=_curves(0.95, 0.8))
    records = _records([_event(0, "card lost"), _social(1, "card lost"), _event(2, "hello")])
    result = process_batch(records, classifier, POLICY, NOW)
    assert [r.explanation for r in result.routed] == [["card"], [], []]
    assert classifier.explained == ["card lost", "hello"], "one call for the batch's triage events only"
    every = BatchPolicy(topic_prefix="routed.", dlq_topic="dlq", max_message_bytes=10_000,
                        rules=DecisionRules(explain="all"))  # fmt: skip
    assert [r.explanation for r in process_batch(records, classifier, every, NOW).routed] == [["card"], ["card"], []]
    off = BatchPolicy(topic_prefix="routed.", dlq_topic="dlq", max_message_bytes=10_000,
                      rules=DecisionRules(explain="off"))  # fmt: skip
    classifier.explained.clear()
    assert [r.explanation for r in process_batch(records, classifier, off, NOW).routed] == [[], [], []]
    assert classifier.explained == []


class Fussy(KeywordClassifier):
    """Fails on any batch holding a text with "boom"; fails on everything when ``broken``."""

    def __init__(self, broken: bool = False) -> None:
        super().__init__()
        self.broken = broken

    def predict(self, texts):  # type: ignore[no-untyped-def]
        if self.broken or any("boom" in t for t in texts):
            self.calls.append(len(texts))
            raise ValueError("cannot")
        return super().predict(texts)


def test_a_record_the_model_fails_on_is_dead_lettered_and_the_rest_routed() -> None:
    classifier = Fussy()
    result = process_batch(_records([_event(0, "card"), _event(1, "boom"), _event(2, "loan")]), classifier, POLICY, NOW)
    assert [o.topic for o in result.outgoing] == ["routed.cards", "tickets.dlq", "routed.loans"]
    letter = DeadLetter.model_validate_json(result.outgoing[1].value)
    assert letter.reason == "internal_error" and "ValueError" in letter.error
    assert result.dead_letter_reasons == ["internal_error"]


def test_a_model_that_fails_on_every_record_is_a_process_error() -> None:
    with pytest.raises(ClassifierError):
        process_batch(_records([_event(0, "card"), _event(1, "loan")]), Fussy(broken=True), POLICY, NOW)


def test_an_exception_while_decoding_one_record_dead_letters_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(value: bytes | None, max_bytes: int) -> None:
        if value == b"poison":
            raise OverflowError("date value out of range")
        return real(value, max_bytes)

    real = pipeline.decode_event
    monkeypatch.setattr(pipeline, "decode_event", explode)
    result = process_batch(_records([b"poison", _event(1, "card")]), KeywordClassifier(), POLICY, NOW)
    assert [o.topic for o in result.outgoing] == ["tickets.dlq", "routed.cards"]
    assert DeadLetter.model_validate_json(result.outgoing[0].value).error == "OverflowError while handling the record"


def test_a_routed_event_too_large_to_produce_is_dead_lettered() -> None:
    small = BatchPolicy(topic_prefix="routed.", dlq_topic="dlq", max_message_bytes=1_000_000, max_record_bytes=4_096)
    result = process_batch(_records([_event(0, "card " * 1000), _event(1, "card")]), KeywordClassifier(), small, NOW)
    assert [o.topic for o in result.outgoing] == ["dlq", "routed.cards"]
    letter = DeadLetter.model_validate_json(result.outgoing[0].value)
    assert letter.reason == "oversized" and "routed event" in letter.error and letter.truncated
