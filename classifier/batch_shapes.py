"""Batch shapes rounded up to a few sizes, so TensorFlow's oneDNN kernels are built for a bounded set of shapes.

TensorFlow caches a oneDNN primitive per tensor shape, per kind of operation and per worker thread (up to 1,024
each). A router's batches come in every size and every longest-text length, so those caches keep growing for
hours: the router's memory creeps up. Padding each batch with filler rows to one of :data:`ROW_BUCKETS` rows, and
making the filler rows as long as a token bucket, bounds the shapes to a few hundred for a few percent more compute.
The filler rows' outputs are dropped; the model treats rows independently, so real rows' outputs are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

ROW_BUCKETS = (8, 16, 32, 48, 64, 96, 128, 192, 256)
"""Batch sizes a model call is padded to; the largest is the most rows of one call."""
FILLER_WORD = "tokfiller"
"""The filler rows' word: out of every vocabulary, so it is read as an unknown word."""


def token_bucket(tokens: int) -> int:
    """``tokens`` rounded up to a step of about a 32nd of it (2 up to 64, then 4, 8, 16, ...), at least 2."""
    step = 2
    while step * 32 < tokens:
        step *= 2
    return max(step, -(-tokens // step) * step)


def row_bucket(rows: int) -> int:
    """The smallest of :data:`ROW_BUCKETS` holding ``rows`` rows."""
    for size in ROW_BUCKETS:
        if rows <= size:
            return size
    raise ValueError(f"{rows} rows exceed the largest batch of {ROW_BUCKETS[-1]}")


def padded(cleaned: Sequence[str]) -> list[str]:
    """``cleaned`` followed by filler rows: a bucketed number of rows, the longest a bucketed number of tokens.

    At least one filler row is added (it sets the length), so at most ``ROW_BUCKETS[-1] - 1`` texts fit.
    """
    longest = max((len(text.split()) for text in cleaned), default=0)
    filler = " ".join([FILLER_WORD] * token_bucket(longest))
    return [*cleaned, *[filler] * (row_bucket(len(cleaned) + 1) - len(cleaned))]
