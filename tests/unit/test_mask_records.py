"""Masking where the router writes: routed events, dead letters (UTF-8, JSON escapes, other bytes), settings, store."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from classifier.mask_records import mask_raw
from classifier.masking import ALL_ENTITIES
from schemas.feedback import Feedback
from schemas.outputs import DeadLetter, RoutedEvent, SourcePosition
from service.metrics import RouterMetrics
from service.pipeline import BatchPolicy, process_batch
from service.routing import InRecord
from service.settings import RouterSettings
from tests.pii_samples import surviving_card_runs
from tests.unit.fakes import KeywordClassifier
from training.feedback.store import FeedbackStore

NOW = datetime(2026, 11, 24, tzinfo=UTC)
POLICY = BatchPolicy(topic_prefix="routed.", dlq_topic="tickets.dlq", max_message_bytes=10_000)
CARD = "4111 1111 1111 1111"
SECRET = f"my card {CARD}, ssn 078-05-1120, write to jane.doe@example.com or call 212-555-0199"
VALUES = [CARD, "4111111111111111", "078-05-1120", "jane.doe@example.com", "212-555-0199"]


class Recording(KeywordClassifier):
    """Keeps the texts the model was given."""

    texts: list[str]

    def predict(self, texts):  # type: ignore[no-untyped-def]
        self.texts = list(texts)
        return super().predict(texts)


def _complaint(text: str) -> bytes:
    return json.dumps(
        {"kind": "complaint", "event_id": "e1", "text": text, "created_at": "2026-11-24T00:00:00Z"}
    ).encode()


def _batch(*values: bytes | None, policy: BatchPolicy = POLICY):  # type: ignore[no-untyped-def]
    records = [InRecord("tickets.complaints", 0, i, b"k", v, 0) for i, v in enumerate(values)]
    classifier = Recording()
    return process_batch(records, classifier, policy, NOW), classifier


def _clear(blob: bytes) -> bool:
    return not any(v.encode() in blob for v in VALUES)


def test_routed_events_carry_masked_text_and_the_model_sees_it() -> None:
    result, classifier = _batch(_complaint(SECRET))
    routed = RoutedEvent.model_validate_json(result.outgoing[0].value)
    assert routed.event.text == "my card [CARD ****1111], ssn [SSN], write to [EMAIL] or call [PHONE]"
    assert _clear(result.outgoing[0].value)
    assert result.masked_entities == {"card": 1, "ssn": 1, "email": 1, "phone": 1}
    assert classifier.texts == [routed.event.text]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (_complaint(SECRET)[:-5], "invalid_json"),
        (json.dumps({"kind": "complaint", "event_id": "e1", "text": SECRET}).encode(), "schema_error"),
        (json.dumps({"kind": "complaint", "text": SECRET}, ensure_ascii=True).replace("4", "\\u0034").encode(), None),
        (json.dumps({"kind": "nope", CARD: SECRET}).encode(), "unknown_kind"),
    ],
)
def test_dead_letters_of_utf8_values_are_masked_and_say_so(value: bytes, reason: str | None) -> None:
    result, _ = _batch(value)
    out = result.outgoing[0]
    letter = DeadLetter.model_validate_json(out.value)
    assert letter.masked and letter.raw_encoding == "utf-8"
    assert reason is None or letter.reason == reason
    assert _clear(out.value) and _clear(letter.raw_bytes()) and _clear(letter.error.encode())
    assert surviving_card_runs(json.loads(out.value)["raw"]) == []
    assert result.masked_entities["card"] >= 1


def test_escaped_json_stays_equivalent_after_masking() -> None:
    value = json.dumps({"text": SECRET, "note": 'quote " and \\ kept'}).replace("4", "\\u0034").encode()
    masked, counts = mask_raw(value)
    decoded = json.loads(masked)
    assert decoded["note"] == 'quote " and \\ kept' and "[CARD ****1111]" in decoded["text"]
    assert counts["card"] == 1 and _clear(masked)


def test_non_utf8_dead_letters_mask_card_digits_in_their_latin1_view() -> None:
    raw = b"\xff\xfe card " + CARD.encode() + b" \xe9 jane.doe@example.com"
    result, _ = _batch(raw)
    letter = DeadLetter.model_validate_json(result.outgoing[0].value)
    assert letter.masked and letter.reason == "not_utf8" and letter.raw_encoding == "base64"
    assert letter.raw_bytes() == b"\xff\xfe card [CARD ****1111] \xe9 [EMAIL]"
    assert _clear(base64.b64decode(letter.raw))


def test_dead_letter_keys_are_masked_too() -> None:
    records = [InRecord("tickets.complaints", 0, 0, b"4111111111111111", b"{", 0)]
    out = process_batch(records, KeywordClassifier(), POLICY, NOW).outgoing[0]
    assert out.key == b"[CARD ****1111]" and _clear(out.value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=500))
def test_arbitrary_bytes_yield_one_masked_dead_letter_or_event(value: bytes) -> None:
    result, _ = _batch(value, b"4111111111111111 " + value)
    assert len(result.outgoing) == 2
    for out in result.outgoing:
        if out.topic == "tickets.dlq":
            letter = DeadLetter.model_validate_json(out.value)
            assert letter.masked and b"4111111111111111" not in letter.raw_bytes()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_mask_raw_never_raises_and_is_idempotent(value: bytes) -> None:
    once, _ = mask_raw(value)
    assert mask_raw(once) == (once, {})


def test_entity_setting_defaults_to_all_and_refuses_a_list_without_cards() -> None:
    assert RouterSettings().mask_entities == ALL_ENTITIES
    assert RouterSettings(mask_entities="card, email").mask_entities == {"card", "email"}  # type: ignore[arg-type]
    assert RouterSettings(mask_entities="all").mask_entities == ALL_ENTITIES  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must include card"):
        RouterSettings(mask_entities="email,phone")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="unknown entities"):
        RouterSettings(mask_entities="card,name")  # type: ignore[arg-type]


def test_entity_setting_reaches_the_batch() -> None:
    policy = BatchPolicy(topic_prefix="r.", dlq_topic="d", max_message_bytes=10_000, mask_entities=frozenset({"card"}))
    result, _ = _batch(_complaint(SECRET), policy=policy)
    text = RoutedEvent.model_validate_json(result.outgoing[0].value).event.text
    assert text == "my card [CARD ****1111], ssn 078-05-1120, write to jane.doe@example.com or call 212-555-0199"


def test_masked_entities_metric_exports_every_entity_from_zero() -> None:
    registry = CollectorRegistry()
    metrics = RouterMetrics(registry)
    metrics.masked_entities.labels(entity="card").inc(2)
    assert registry.get_sample_value("ticket_router_masked_entities_total", {"entity": "card"}) == 2
    assert registry.get_sample_value("ticket_router_masked_entities_total", {"entity": "phone"}) == 0


def test_feedback_store_only_ever_holds_masked_text(tmp_path: Path) -> None:
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        feedback = Feedback(ticket_id="t1", text=SECRET, correct_department="cards", agent="a1", created_at=NOW)
        store.add(feedback, NOW)
        ref = SourcePosition(topic="routed.cards", partition=0, offset=3)
        store.add(feedback.model_copy(update={"ticket_id": "t2", "text": None, "routed_event": ref}), NOW)
        store.resolve_texts({"t2": SECRET}, [])
        assert [c.text for c in store.corrections()] == [store.corrections()[0].text] * 2
        assert "[CARD ****1111]" in store.corrections()[0].text
    assert _clear((tmp_path / "fb.sqlite3").read_bytes())


def test_a_record_masking_cannot_handle_is_dead_lettered_without_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    import service.dead_letters

    def broken(value: bytes, entities: frozenset[str] = ALL_ENTITIES) -> object:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(service.dead_letters, "mask_raw", broken)
    result, _ = _batch(b"{ card 4111111111111111")
    letter = DeadLetter.model_validate_json(result.outgoing[0].value)
    assert letter.masked and letter.raw == "" and letter.reason == "invalid_json" and _clear(result.outgoing[0].value)


def test_the_console_masks_triage_events_routed_before_masking_existed() -> None:
    from console.queue import decode_triage

    event = json.loads(_complaint(SECRET))
    routed = {"event": event, "department": "triage", "reason": "low_confidence", "label": "x", "confidence": 0.2,
              "model_version": "old", "routed_at": "2026-11-24T00:00:00Z"}  # fmt: skip
    decoded = decode_triage(json.dumps(routed).encode(), 1_000_000)
    assert _clear(decoded.model_dump_json().encode()) and "[CARD ****1111]" in decoded.event.text
