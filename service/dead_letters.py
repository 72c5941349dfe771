"""Dead-letter records that always fit the producer's size limit: whole when they can, a marked prefix otherwise."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections import Counter
from datetime import datetime

from pydantic_core import to_json

from classifier.mask_records import mask_raw
from classifier.masking import ALL_ENTITIES, mask_text
from core.errors import InvalidEventError
from schemas.outputs import DeadLetter, SourcePosition, Truncation
from service.routing import REDRIVE_COUNT_HEADER, InRecord, OutRecord

logger = logging.getLogger(__name__)

RECORD_OVERHEAD_BYTES = 512
"""Kafka's record-batch and record framing plus the dead letter's headers, with room to spare."""

MAX_KEY_BYTES = 1024
"""A longer record key is kept as a prefix in the letter and replaced by its sha256 as the Kafka key."""

REASON_HEADER = "dlq-reason"


def dead_letter_record(
    record: InRecord, error: InvalidEventError, dlq_topic: str, now: datetime, max_record_bytes: int
) -> OutRecord:
    """The dead-letter record of an input that cannot be routed, at most ``max_record_bytes`` long.

    The raw value and key are kept whole when the record fits; otherwise the key is cut to
    ``MAX_KEY_BYTES`` and the value to the longest prefix that fits, and ``truncated`` gives each cut
    field's original size and sha256, so the original can still be recognised.
    """
    key = record.key
    kafka_key = key if key is None or len(key) <= MAX_KEY_BYTES else hashlib.sha256(key).hexdigest().encode()
    raw, encoding = DeadLetter.encode_raw(record.value or b"")
    letter = DeadLetter(
        reason=error.reason,
        error=str(error)[:4000],
        source=SourcePosition(topic=record.topic, partition=record.partition, offset=record.offset),
        key=None if key is None else DeadLetter.encode_raw(key)[0],
        raw=raw,
        raw_encoding=encoding,
        failed_at=now,
    )
    headers = [(REASON_HEADER, error.reason.encode())]
    # The redrive loop guard: a redriven record that fails again carries its count into the new dead letter.
    headers += [(name, value) for name, value in record.headers if name == REDRIVE_COUNT_HEADER]
    framing = RECORD_OVERHEAD_BYTES + len(kafka_key or b"") + sum(len(k) + len(v) for k, v in headers)
    budget = max_record_bytes - framing
    value = letter.model_dump_json().encode()
    if len(value) > budget:
        value = _fit(letter, record, budget).model_dump_json().encode()
    return OutRecord(dlq_topic, kafka_key, value, headers)


def _fit(letter: DeadLetter, record: InRecord, budget: int) -> DeadLetter:
    """``letter`` with its key, then its raw value, cut to prefixes so that its JSON is at most ``budget`` bytes."""
    cuts: list[Truncation] = []
    if record.key is not None and len(record.key) > MAX_KEY_BYTES:
        key_text = _fitting_prefix(record.key, DeadLetter.encode_raw(record.key)[1], MAX_KEY_BYTES)
        cuts.append(_truncation("key", record.key))
        letter = letter.model_copy(update={"key": key_text, "truncated": cuts})
        if len(letter.model_dump_json().encode()) <= budget:
            return letter
    raw = record.value or b""
    shell = letter.model_copy(update={"raw": "", "truncated": [*cuts, _truncation("raw", raw)]})
    room = budget - len(shell.model_dump_json().encode())
    return shell.model_copy(update={"raw": _fitting_prefix(raw, letter.raw_encoding, max(room, 0))})


def _truncation(field: str, original: bytes) -> Truncation:
    return Truncation(field=field, size=len(original), sha256=hashlib.sha256(original).hexdigest())


def _json_len(text: str) -> int:
    """Bytes the text takes inside the letter's JSON, without the quotes."""
    return len(to_json(text)) - 2


def _fitting_prefix(raw: bytes, encoding: str, room: int) -> str:
    """The longest prefix of ``raw``, encoded as the letter encodes it, whose JSON takes at most ``room`` bytes."""
    if encoding == "base64":
        return base64.b64encode(raw[: room // 4 * 3]).decode("ascii")
    text = raw.decode("utf-8")
    low, high = 0, min(len(text), room)  # each character takes at least one byte
    while low < high:  # the largest length whose JSON fits
        middle = (low + high + 1) // 2
        if _json_len(text[:middle]) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low]


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
