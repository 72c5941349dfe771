"""Masking applied to what the router writes: the text of input events and the raw value of dead letters."""

from __future__ import annotations

import logging
import re
from collections import Counter

from classifier.masking import ALL_ENTITIES, mask_text
from schemas.common import MAX_TEXT_CHARS
from schemas.events import ComplaintEvent, SocialPostEvent

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
