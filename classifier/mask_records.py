"""Masking applied to what the router writes: the text of input events and the raw value of dead letters."""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import datetime

from classifier.masking import ALL_ENTITIES, mask_text
from core.errors import InvalidEventError
from schemas.common import MAX_TEXT_CHARS
from schemas.events import ComplaintEvent, SocialPostEvent
from schemas.outputs import DeadLetter
from service.dead_letters import dead_letter_record
from service.routing import InRecord, OutRecord

logger = logging.getLogger(__name__)

# A JSON escape "\u00XX" (not itself escaped): written out before masking when it is a printable ASCII
# character other than '"' and '\\', so an escaped card number ("\u0034...") is found; the JSON means the same.
_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([0-9a-fA-F]{2})")


def mask_event(
    event: ComplaintEvent | SocialPostEvent, entities: frozenset[str] = ALL_ENTITIES
) -> tuple[ComplaintEvent | SocialPostEvent, Counter[str]]:
    """The event with its text masked (kept within the contract's length), and the entities masked."""
    masked = mask_text(event.text, entities)
    if not masked.counts:
        return event, masked.counts
    return event.model_copy(update={"text": masked.text[:MAX_TEXT_CHARS]}), masked.counts


def mask_raw(value: bytes, entities: frozenset[str] = ALL_ENTITIES) -> tuple[bytes, Counter[str]]:
    """A record value with its identifiers masked.

    UTF-8 values are masked as text, after writing out JSON escapes of printable ASCII characters. Other
    bytes are masked in their Latin-1 view (one character per byte, so ASCII digits, letters and ``@`` are
    found in place and every other byte is kept as it was); identifiers in multi-byte encodings such as
    UTF-16 are not found there.
    """
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        masked = mask_text(value.decode("latin-1"), entities)
        return masked.text.encode("latin-1"), masked.counts
    if "\\u00" in text:
        text = _ESCAPE.sub(_unescape, text)
    masked = mask_text(text, entities)
    return masked.text.encode("utf-8"), masked.counts


def _unescape(match: re.Match[str]) -> str:
    char = chr(int(match.group(2), 16))
    return match.group(1) + char if " " <= char <= "~" and char not in '"\\' else match.group(0)


def masked_dead_letter(
    record: InRecord,
    error: InvalidEventError,
    dlq_topic: str,
    now: datetime,
    max_record_bytes: int,
    entities: frozenset[str] = ALL_ENTITIES,
) -> tuple[OutRecord, Counter[str]]:
    """The dead-letter record of ``record`` with its value, key and error masked, marked ``masked``.

    Should masking ever fail, the value and key are left out rather than written in clear.
    """
    try:
        value, counts = mask_raw(record.value, entities) if record.value is not None else (None, Counter[str]())
        key, key_counts = mask_raw(record.key, entities) if record.key is not None else (None, Counter[str]())
        message = mask_text(str(error), entities)
        counts.update(key_counts)
        counts.update(message.counts)
    except Exception as exc:  # noqa: BLE001 - one record never stops the batch, and nothing leaves unmasked
        logger.error(
            "record %s[%d]@%d: masking failed (%s); dead-lettered without its value",
            record.topic, record.partition, record.offset, type(exc).__name__,
        )  # fmt: skip
        value, key, counts, message = b"", None, Counter[str](), mask_text(error.reason)
    letter_error = InvalidEventError(error.reason, message.text)
    # 16 bytes stay free for the ',"masked":true' added below, so the letter still fits the producer's limit.
    out = dead_letter_record(record._replace(value=value, key=key), letter_error, dlq_topic, now, max_record_bytes - 16)
    letter = DeadLetter.model_validate_json(out.value).model_copy(update={"masked": True})
    return out._replace(value=letter.model_dump_json().encode()), counts
