"""Turn one raw Kafka record value into a validated input event, or say precisely why it cannot be."""

from __future__ import annotations

from pydantic import ValidationError

from core.errors import InvalidEventError
from schemas.common import describe_validation_error
from schemas.events import ComplaintEvent, SocialPostEvent, parse_event

_UNKNOWN_KIND = {"union_tag_invalid", "union_tag_not_found"}
_TEXT_FIELDS = {"text"}


def decode_event(value: bytes | None, max_bytes: int) -> ComplaintEvent | SocialPostEvent:
    """Validate one record value; raises :class:`InvalidEventError` with a dead-letter reason."""
    if value is None:
        raise InvalidEventError("invalid_json", "the record has no value (a tombstone)")
    if len(value) > max_bytes:
        raise InvalidEventError("oversized", f"the record is {len(value)} bytes, more than the limit of {max_bytes}")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEventError("not_utf8", f"the record is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        return parse_event(text)
    except ValidationError as exc:
        raise InvalidEventError(_reason(exc), describe_validation_error(exc)[:2000]) from None
    except RecursionError:
        raise InvalidEventError("invalid_json", "the JSON is nested too deeply") from None


def _reason(exc: ValidationError) -> str:
    """The dead-letter reason of a validation failure: its first error decides."""
    err = exc.errors(include_url=False)[0]
    kind, loc = err["type"], err["loc"]
    if kind == "json_invalid":
        return "invalid_json"
    if kind in _UNKNOWN_KIND:
        return "unknown_kind"
    if loc and loc[-1] in _TEXT_FIELDS:
        if kind == "string_too_long":
            return "oversized"
        if kind in {"string_too_short", "value_error"}:
            return "empty_text"
    return "schema_error"
