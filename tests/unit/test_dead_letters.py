"""Dead letters always fit the producer's limit: whole when they can, a marked, verifiable prefix otherwise."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidEventError
from schemas.outputs import DeadLetter
from service.dead_letters import MAX_KEY_BYTES, RECORD_OVERHEAD_BYTES, dead_letter_record
from service.pipeline import record_size
from service.routing import InRecord

NOW = datetime(2026, 11, 24, tzinfo=UTC)
LIMIT = 65_536
ERROR = InvalidEventError("oversized", "too big")


def _letter(value: bytes | None, key: bytes | None = b"k", limit: int = LIMIT) -> tuple[DeadLetter, int, bytes | None]:
    out = dead_letter_record(InRecord("tickets.complaints", 2, 7, key, value, 0), ERROR, "tickets.dlq", NOW, limit)
    return DeadLetter.model_validate_json(out.value), record_size(out), out.key


def _whole_size(value: bytes, key: bytes | None = b"k") -> int:
    """The size of the whole letter, measured with a limit far above it."""
    return _letter(value, key, limit=100 * LIMIT)[1]


def test_small_letters_are_kept_whole() -> None:
    letter, size, key = _letter(b"\xff" * 100)
    assert letter.truncated == [] and letter.raw_bytes() == b"\xff" * 100 and key == b"k"
    assert size + RECORD_OVERHEAD_BYTES <= LIMIT


@pytest.mark.parametrize("fill", [b"x", b"\x01", b"\xff", "é".encode()])
def test_the_exact_boundary(fill: bytes) -> None:
    """Find the largest value kept whole; one more byte is cut; both fit the limit."""
    low, high = 0, LIMIT
    while low < high:
        middle = (low + high + 1) // 2
        if _whole_size(fill * middle) + RECORD_OVERHEAD_BYTES <= LIMIT:
            low = middle
        else:
            high = middle - 1
    whole, size, _ = _letter(fill * low)
    assert whole.truncated == [] and whole.raw_bytes() == fill * low
    assert size + RECORD_OVERHEAD_BYTES <= LIMIT
    cut, size, _ = _letter(fill * (low + 1))
    assert [t.field for t in cut.truncated] == ["raw"]
    assert size + RECORD_OVERHEAD_BYTES <= LIMIT
    assert (fill * (low + 1)).startswith(cut.raw_bytes())
    assert len(cut.raw_bytes()) > low // 2, "the prefix kept is most of what fits"


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (b"\xab" * 800_000, b"k"),  # not UTF-8: base64 grows it by a third
        (b"\x01" * 200_000, b"k"),  # JSON escapes grow it six times
        (b"x" * 1_100_000, b"k"),
        (b"x", b"y" * 600_000),  # a huge key
        (b"\x01" * 300_000, b"\xfe" * 300_000),
    ],
)
def test_letters_that_would_not_fit_are_cut_and_say_so(value: bytes, key: bytes) -> None:
    limit = 1_048_576
    letter, size, kafka_key = _letter(value, key, limit)
    assert size + RECORD_OVERHEAD_BYTES <= limit
    by_field = {t.field: t for t in letter.truncated}
    if len(value) > 1_000:
        assert by_field["raw"].size == len(value) and by_field["raw"].sha256 == hashlib.sha256(value).hexdigest()
        assert value.startswith(letter.raw_bytes())
    else:
        assert "raw" not in by_field and letter.raw_bytes() == value
    if len(key) > MAX_KEY_BYTES:  # the Kafka key becomes the key's sha256; the letter keeps all it can of the key
        assert kafka_key == hashlib.sha256(key).hexdigest().encode()
        if "key" in by_field:
            assert by_field["key"].size == len(key) and by_field["key"].sha256 == hashlib.sha256(key).hexdigest()


@settings(max_examples=60, deadline=None)
@given(
    st.binary(max_size=20_000), st.none() | st.binary(max_size=3_000), st.integers(min_value=8_192, max_value=30_000)
)
def test_any_record_gives_a_valid_letter_within_the_limit(value: bytes, key: bytes | None, limit: int) -> None:
    letter, size, _ = _letter(value, key, limit)
    assert size + RECORD_OVERHEAD_BYTES <= limit
    assert value.startswith(letter.raw_bytes())
    assert (letter.raw_bytes() == value) == ("raw" not in {t.field for t in letter.truncated})
