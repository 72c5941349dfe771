"""Batch shapes: buckets cover every batch with little padding, and few shapes remain."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.batch_shapes import FILLER_WORD, ROW_BUCKETS, padded, row_bucket, token_bucket

texts = st.lists(st.text(alphabet="ab \n\t", max_size=300), max_size=ROW_BUCKETS[-1] - 1)


@given(st.integers(0, 100_000))
def test_a_token_bucket_holds_the_tokens_with_at_most_a_sixteenth_more(tokens: int) -> None:
    bucket = token_bucket(tokens)
    assert bucket >= max(tokens, 2)
    assert bucket - tokens <= max(2, tokens / 16)


def test_token_buckets_are_few() -> None:
    assert len({token_bucket(t) for t in range(201)}) == 57, "cleaning keeps at most 200 tokens"
    assert [token_bucket(t) for t in (0, 1, 2, 3, 64, 65, 68, 69, 200)] == [2, 2, 2, 4, 64, 68, 68, 72, 200]


@given(st.integers(1, ROW_BUCKETS[-1]))
def test_a_row_bucket_is_the_smallest_that_holds_the_rows(rows: int) -> None:
    bucket = row_bucket(rows)
    assert bucket in ROW_BUCKETS and bucket >= rows
    assert all(size < rows for size in ROW_BUCKETS if size < bucket)


def test_more_rows_than_the_largest_bucket_are_refused() -> None:
    with pytest.raises(ValueError, match="exceed"):
        row_bucket(ROW_BUCKETS[-1] + 1)


@given(texts)
def test_padding_keeps_the_texts_first_and_sets_a_bucketed_shape(cleaned: list[str]) -> None:
    batch = padded(cleaned)
    assert batch[: len(cleaned)] == cleaned
    assert len(batch) in ROW_BUCKETS and len(batch) > len(cleaned)
    fillers = batch[len(cleaned) :]
    assert all(set(f.split()) == {FILLER_WORD} for f in fillers)
    longest = max(len(t.split()) for t in batch)
    assert longest == token_bucket(max((len(t.split()) for t in cleaned), default=0))
