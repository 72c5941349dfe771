"""Every kind of bad input maps to its dead-letter reason with a message naming the problem."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidEventError
from schemas.common import MAX_TEXT_CHARS
from schemas.events import ComplaintEvent, SocialPostEvent
from service.decode import decode_event

GOOD = {"kind": "complaint", "event_id": "c1", "text": "card charged twice", "created_at": "2026-01-01T00:00:00Z"}


def _reason(value: bytes | None, max_bytes: int = 1_000_000) -> tuple[str, str]:
    with pytest.raises(InvalidEventError) as info:
        decode_event(value, max_bytes)
    return info.value.reason, str(info.value)


def test_valid_events_decode() -> None:
    assert isinstance(decode_event(json.dumps(GOOD).encode(), 10_000), ComplaintEvent)
    social = {**GOOD, "kind": "social", "platform": "x", "author": "@a"}
    assert isinstance(decode_event(json.dumps(social).encode(), 10_000), SocialPostEvent)


@pytest.mark.parametrize(
    ("value", "reason", "mentions"),
    [
        (b"{not json", "invalid_json", "JSON"),
        (None, "invalid_json", "tombstone"),
        (b"\xff\xfe\x00garbage", "not_utf8", "UTF-8"),
        (json.dumps({**GOOD, "kind": "fax"}).encode(), "unknown_kind", "fax"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "kind"}).encode(), "unknown_kind", "kind"),
        (json.dumps({**GOOD, "text": "   "}).encode(), "empty_text", "text"),
        (json.dumps({**GOOD, "text": ""}).encode(), "empty_text", "text"),
        (json.dumps({**GOOD, "text": "x" * (MAX_TEXT_CHARS + 1)}).encode(), "oversized", "text"),
        (json.dumps({**GOOD, "created_at": "2026-01-01T00:00:00"}).encode(), "schema_error", "created_at"),
        (json.dumps({**GOOD, "event_id": 5}).encode(), "schema_error", "event_id"),
        (json.dumps({**GOOD, "extra": 1}).encode(), "schema_error", "extra"),
        (b"[1, 2]", "schema_error", ""),
        (b"[" * 5000 + b"]" * 5000, "invalid_json", ""),
    ],
)
def test_bad_input_reasons(value: bytes | None, reason: str, mentions: str) -> None:
    got, message = _reason(value)
    assert got == reason, message
    assert mentions in message


def test_oversized_record_is_refused_before_parsing() -> None:
    got, message = _reason(json.dumps(GOOD).encode(), max_bytes=20)
    assert got == "oversized" and "limit of 20" in message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_escape_as_other_errors(value: bytes) -> None:
    try:
        decode_event(value, 10_000)
    except InvalidEventError as exc:
        assert exc.reason in {"invalid_json", "not_utf8", "unknown_kind", "schema_error", "empty_text", "oversized"}


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_random_json_values_are_dead_lettered_or_valid(value: object) -> None:
    try:
        decode_event(json.dumps(value).encode(), 100_000)
    except InvalidEventError as exc:
        assert exc.reason in {"invalid_json", "unknown_kind", "schema_error", "empty_text", "oversized"}


@pytest.mark.parametrize(
    "created_at",
    [
        "9999-12-31T23:00:00-01:00",  # past year 9999 once in UTC
        "0001-01-01T00:00:00+00:01",  # before year 1 once in UTC
        "1969-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
        "2100-01-01T00:30:00+00:29",
    ],
)
def test_timestamps_outside_the_stated_range_are_schema_errors(created_at: str) -> None:
    got, message = _reason(json.dumps({**GOOD, "created_at": created_at}).encode())
    assert got == "schema_error" and "created_at" in message


@pytest.mark.parametrize(
    "created_at", ["1970-01-01T00:00:00Z", "2099-12-31T23:59:59.999999Z", "2100-01-01T00:30:00+01:00"]
)
def test_timestamps_at_the_range_edges_are_accepted(created_at: str) -> None:
    assert decode_event(json.dumps({**GOOD, "created_at": created_at}).encode(), 10_000).created_at.year in {1970, 2099}


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(timezones=st.timezones()) | st.datetimes(),
    st.integers(min_value=-1439, max_value=1439),
)
def test_any_timestamp_is_valid_or_a_schema_error(when: object, offset_minutes: int) -> None:
    text = str(when).replace(" ", "T")
    if offset_minutes and "+" not in text[10:] and "-" not in text[10:]:
        sign = "+" if offset_minutes > 0 else "-"
        text += f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    try:
        decode_event(json.dumps({**GOOD, "created_at": text}).encode(), 10_000)
    except InvalidEventError as exc:
        assert exc.reason == "schema_error"
