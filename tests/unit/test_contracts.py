"""Every contract accepts valid input and names the field in every rejection."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas.common import MAX_TEXT_CHARS, describe_validation_error
from schemas.events import ComplaintEvent, SocialPostEvent, parse_event
from schemas.export import write_schemas
from schemas.feedback import Feedback
from schemas.loans import ForecastEvent, ForecastPoint, LoanRecord
from schemas.manifest import ModelManifest
from schemas.outputs import DeadLetter, RoutedEvent

NOW = "2026-11-24T10:00:00+01:00"
SHA = "a" * 64

COMPLAINT = {"kind": "complaint", "event_id": "c-1", "text": "My card was charged twice.", "created_at": NOW}
SOCIAL = {
    "kind": "social",
    "event_id": "s-1",
    "platform": "x",
    "author": "@ann",
    "text": "@bank where is my new card??",
    "created_at": NOW,
}
ROUTED = {
    "event": COMPLAINT,
    "department": "cards",
    "reason": "confident",
    "label": "card_payment_fee_charged",
    "confidence": 0.93,
    "alternatives": [{"label": "x", "department": "payments", "confidence": 0.04}],
    "model_version": "v1",
    "routed_at": NOW,
}
DEAD = {
    "reason": "invalid_json",
    "error": "Expecting value",
    "source": {"topic": "tickets.complaints", "partition": 0, "offset": 7},
    "raw": "{oops",
    "raw_encoding": "utf-8",
    "failed_at": NOW,
}
FEEDBACK = {
    "ticket_id": "c-1",
    "text": "They charged my card twice",
    "correct_department": "cards",
    "agent": "agent-7",
    "created_at": NOW,
}
MANIFEST = {
    "version": "20261124-1",
    "created_at": NOW,
    "model_file": "model.keras",
    "model_sha256": SHA,
    "labels": ["cards", "triage"],
    "label_to_department": {"cards": "cards", "triage": "triage"},
    "triage_threshold": 0.5,
    "cleaning_version": "1",
}
LOAN = {"loan_id": "L1", "created_at": NOW, "amount": 4000}
FORECAST = {
    "model_version": "f1",
    "value": "amount",
    "interval_level": 0.8,
    "generated_at": NOW,
    "points": [{"date": "2026-11-25", "forecast": 10.0, "lower": 8.0, "upper": 12.0}],
}

CASES: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (ComplaintEvent, COMPLAINT, "text"),
    (SocialPostEvent, SOCIAL, "author"),
    (RoutedEvent, ROUTED, "confidence"),
    (DeadLetter, DEAD, "reason"),
    (Feedback, FEEDBACK, "correct_department"),
    (ModelManifest, MANIFEST, "model_sha256"),
    (LoanRecord, LOAN, "loan_id"),
    (ForecastEvent, FORECAST, "interval_level"),
]
IDS = [case[0].__name__ for case in CASES]
TIME_FIELDS = {
    ComplaintEvent: "created_at",
    SocialPostEvent: "created_at",
    RoutedEvent: "routed_at",
    DeadLetter: "failed_at",
    Feedback: "created_at",
    ModelManifest: "created_at",
    LoanRecord: "created_at",
    ForecastEvent: "generated_at",
}


def _error_text(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return describe_validation_error(info.value)


@pytest.mark.parametrize(("model", "valid", "field"), CASES, ids=IDS)
def test_valid_input_round_trips_through_json(model: type[BaseModel], valid: dict[str, Any], field: str) -> None:
    obj = model.model_validate(valid)
    assert model.model_validate_json(obj.model_dump_json()) == obj
    assert obj.model_dump()["schema_version"] == 1


@pytest.mark.parametrize(("model", "valid", "field"), CASES, ids=IDS)
def test_wrong_type_names_the_field(model: type[BaseModel], valid: dict[str, Any], field: str) -> None:
    message = _error_text(model, {**valid, field: {"not": "right"}})
    assert message.startswith(field), message


@pytest.mark.parametrize(("model", "valid", "field"), CASES, ids=IDS)
def test_missing_field_names_the_field(model: type[BaseModel], valid: dict[str, Any], field: str) -> None:
    data = dict(valid)
    del data[field]
    message = _error_text(model, data)
    assert field in message and "Field required" in message, message


@pytest.mark.parametrize(("model", "valid", "field"), CASES, ids=IDS)
def test_extra_field_is_refused_by_name(model: type[BaseModel], valid: dict[str, Any], field: str) -> None:
    message = _error_text(model, {**valid, "surprise": 1})
    assert "surprise" in message and "Extra inputs are not permitted" in message


@pytest.mark.parametrize(("model", "valid", "field"), CASES, ids=IDS)
def test_naive_datetime_is_refused_by_name(model: type[BaseModel], valid: dict[str, Any], field: str) -> None:
    time_field = TIME_FIELDS[model]
    message = _error_text(model, {**valid, time_field: "2026-11-24T10:00:00"})
    assert message.startswith(time_field) and "timezone" in message, message


@pytest.mark.parametrize(("model", "valid", "field"), CASES, ids=IDS)
def test_datetimes_are_normalised_to_utc(model: type[BaseModel], valid: dict[str, Any], field: str) -> None:
    value = getattr(model.model_validate(valid), TIME_FIELDS[model])
    assert value.utcoffset() == timedelta(0)
    assert value == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("model", [ComplaintEvent, SocialPostEvent, Feedback])
def test_oversize_text_is_refused_by_name(model: type[BaseModel]) -> None:
    valid = {ComplaintEvent: COMPLAINT, SocialPostEvent: SOCIAL, Feedback: FEEDBACK}[model]
    message = _error_text(model, {**valid, "text": "a" * (MAX_TEXT_CHARS + 1)})
    assert message.startswith("text") and f"at most {MAX_TEXT_CHARS}" in message


@pytest.mark.parametrize("blank", ["", "   \n\t"])
def test_empty_text_is_refused(blank: str) -> None:
    message = _error_text(ComplaintEvent, {**COMPLAINT, "text": blank})
    assert message.startswith("text")


def test_union_reads_both_kinds_and_names_unknown_kind() -> None:
    assert isinstance(parse_event(json.dumps(COMPLAINT)), ComplaintEvent)
    assert isinstance(parse_event(json.dumps(SOCIAL).encode()), SocialPostEvent)
    with pytest.raises(ValidationError) as info:
        parse_event(json.dumps({**COMPLAINT, "kind": "fax"}))
    assert info.value.errors()[0]["type"] == "union_tag_invalid"
    assert "kind" in describe_validation_error(info.value) or "fax" in describe_validation_error(info.value)


def test_non_utf8_bytes_are_refused_and_kept_by_dead_letters() -> None:
    raw = b'{"kind": "complaint", "text": "\xff\xfe"}'
    with pytest.raises(ValidationError) as info:
        parse_event(raw)
    assert info.value.errors()[0]["type"] == "json_invalid"
    text, encoding = DeadLetter.encode_raw(raw)
    assert encoding == "base64" and base64.b64decode(text) == raw
    letter = DeadLetter.model_validate({**DEAD, "reason": "not_utf8", "raw": text, "raw_encoding": encoding})
    assert letter.raw_bytes() == raw


def test_utf8_dead_letter_keeps_text() -> None:
    text, encoding = DeadLetter.encode_raw("{é".encode())
    assert (text, encoding) == ("{é", "utf-8")


def test_feedback_needs_text_or_reference() -> None:
    data = {k: v for k, v in FEEDBACK.items() if k != "text"}
    assert "routed_event" in _error_text(Feedback, data)
    ref = {"topic": "routed.cards", "partition": 1, "offset": 3}
    reference = Feedback.model_validate({**data, "routed_event": ref}).routed_event
    assert reference is not None and reference.model_dump() == ref


def test_unknown_department_is_refused() -> None:
    assert _error_text(Feedback, {**FEEDBACK, "correct_department": "insurance"}).startswith("correct_department")


def test_manifest_labels_must_be_mapped_and_unique() -> None:
    assert "without a department" in _error_text(ModelManifest, {**MANIFEST, "labels": ["cards", "other"]})
    assert "unique" in _error_text(ModelManifest, {**MANIFEST, "labels": ["cards", "cards"]})


def test_forecast_interval_must_be_ordered() -> None:
    with pytest.raises(ValidationError):
        ForecastPoint(date=datetime(2026, 1, 1, tzinfo=UTC).date(), forecast=5.0, lower=6.0, upper=7.0)


def test_loan_amount_must_be_finite_and_non_negative() -> None:
    assert _error_text(LoanRecord, {**LOAN, "amount": -1}).startswith("amount")
    assert _error_text(LoanRecord, {**LOAN, "amount": float("inf")}).startswith("amount")


def test_other_timezones_are_converted() -> None:
    tz = timezone(timedelta(hours=-5))
    event = ComplaintEvent.model_validate({**COMPLAINT, "created_at": datetime(2026, 1, 1, 7, tzinfo=tz)})
    assert event.created_at == datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_routed_event_carries_priority_and_explanation(tmp_path: Path) -> None:
    plain = RoutedEvent.model_validate(ROUTED)
    assert plain.priority == "normal" and plain.explanation == []
    urgent = RoutedEvent.model_validate({**ROUTED, "priority": "urgent", "explanation": ["charged twice", "card"]})
    assert RoutedEvent.model_validate_json(urgent.model_dump_json()) == urgent
    with pytest.raises(ValidationError) as exc:
        RoutedEvent.model_validate({**ROUTED, "priority": "high"})
    assert describe_validation_error(exc.value).startswith("priority:")
    with pytest.raises(ValidationError, match="explanation"):
        RoutedEvent.model_validate({**ROUTED, "explanation": "card"})
    write_schemas(tmp_path)
    schema = json.loads((tmp_path / "routed_event.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["priority"] == {
        "default": "normal", "enum": ["urgent", "normal"], "title": "Priority", "type": "string"
    }  # fmt: skip
    assert schema["properties"]["explanation"]["items"] == {"type": "string"}
    assert {"priority", "explanation"}.isdisjoint(schema["required"]), "older routed events stay valid"
    manifest = json.loads((tmp_path / "model_manifest.schema.json").read_text(encoding="utf-8"))
    assert {"calibration", "decisions"} <= set(manifest["properties"])
