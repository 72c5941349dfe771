"""The level-shift detector on series with and without a known shift."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import DataError
from training.forecast.shift import LevelShift


def test_a_drop_of_a_fifth_is_a_shift_and_noise_is_not() -> None:
    values = np.concatenate([np.full(84, 100.0), np.full(28, 80.0)])
    detector = LevelShift()
    assert detector.change(values, 112) == pytest.approx(-0.2)
    assert detector.at(values, 112)
    rng = np.random.default_rng(0)
    calm = 100 + rng.normal(0, 5, 300)
    assert not any(detector.at(calm, o) for o in range(112, 301))


def test_the_shift_is_seen_only_once_the_recent_weeks_hold_it() -> None:
    values = np.concatenate([np.full(200, 100.0), np.full(100, 130.0)])
    detector = LevelShift()
    flags = [detector.at(values, o) for o in range(112, 301)]
    first = 112 + flags.index(True)
    assert 200 < first <= 200 + 28, "a few days of the new level lift the 4-week mean past 15%"
    assert not detector.at(values, 200) and detector.at(values, 228)


def test_edges() -> None:
    detector = LevelShift(recent_days=7, prior_days=14, threshold=0.5)
    assert detector.min_history == 21
    assert detector.change(np.zeros(30), 30) == 0.0
    assert detector.change(np.concatenate([np.zeros(23), np.ones(7)]), 30) == float("inf")
    with pytest.raises(DataError):
        detector.change(np.ones(30), 20)
    with pytest.raises(DataError):
        LevelShift(threshold=0)
    assert "15%" in LevelShift().describe()
