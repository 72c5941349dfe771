"""Training weights balance labels within a source and, when asked, the sources against each other."""

from __future__ import annotations

import numpy as np
import pytest

from training.classifier.train import sample_weights

# Source "a": 3 rows of x and 1 of y; source "b": 2 rows of z.
LABELS = ["x", "x", "x", "y", "z", "z"]
SOURCES = ["a", "a", "a", "a", "b", "b"]


def _source_totals(weights: np.ndarray) -> tuple[float, float]:
    return float(weights[:4].sum()), float(weights[4:].sum())


def test_without_powers_every_row_weighs_the_same() -> None:
    assert np.allclose(sample_weights(LABELS, SOURCES, 0.0), 1.0)


def test_full_label_balance_gives_each_label_of_a_source_the_same_total() -> None:
    w = sample_weights(LABELS, SOURCES, 1.0)
    assert w[:3].sum() == pytest.approx(w[3]) and w.mean() == pytest.approx(1.0)


def test_source_power_one_gives_each_source_the_same_total() -> None:
    a, b = _source_totals(sample_weights(LABELS, SOURCES, 0.0, source_power=1.0))
    assert a == pytest.approx(b)


def test_source_power_zero_keeps_the_sources_at_their_size() -> None:
    a, b = _source_totals(sample_weights(LABELS, SOURCES, 0.0, source_power=0.0))
    assert (a, b) == pytest.approx((4.0, 2.0))
