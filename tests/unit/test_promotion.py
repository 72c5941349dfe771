"""The champion/challenger rule and the hold-back of corrections."""

from __future__ import annotations

import pytest

from training.promotion import Scores, decide_promotion, is_held_back

CHAMP = Scores(macro_f1=0.80, corrections_accuracy=0.40, corrections=10)


def test_no_champion_promotes() -> None:
    assert decide_promotion(None, Scores(0.1, 0.0, 0), 0.01).promoted


def test_better_on_corrections_and_not_worse_on_validation_promotes() -> None:
    decision = decide_promotion(CHAMP, Scores(0.80, 0.90, 10), 0.01)
    assert decision.promoted and "0.9000" in decision.reason


def test_small_validation_drop_within_tolerance_is_allowed() -> None:
    assert decide_promotion(CHAMP, Scores(0.795, 0.90, 10), 0.01).promoted
    assert decide_promotion(CHAMP, Scores(0.79, 0.90, 10), 0.01).promoted, "exactly at the tolerance"


def test_validation_drop_beyond_tolerance_rejects_even_if_corrections_improve() -> None:
    decision = decide_promotion(CHAMP, Scores(0.78, 1.0, 10), 0.01)
    assert not decision.promoted and "macro-F1" in decision.reason


def test_equal_on_corrections_is_not_better() -> None:
    decision = decide_promotion(CHAMP, Scores(0.85, 0.40, 10), 0.01)
    assert not decision.promoted and "not better" in decision.reason


def test_no_held_back_corrections_rejects() -> None:
    decision = decide_promotion(CHAMP, Scores(0.95, 0.0, 0), 0.01)
    assert not decision.promoted and "no held-back" in decision.reason


def test_zero_tolerance_requires_no_drop() -> None:
    assert not decide_promotion(CHAMP, Scores(0.7999, 0.9, 10), 0.0).promoted
    assert decide_promotion(CHAMP, Scores(0.80, 0.9, 10), 0.0).promoted


def test_negative_tolerance_is_an_error() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        decide_promotion(CHAMP, CHAMP, -0.1)


def test_hold_back_is_stable_and_close_to_the_fraction() -> None:
    ids = [f"ticket-{i}" for i in range(5000)]
    held = [i for i in ids if is_held_back(i, 0.2)]
    assert held == [i for i in ids if is_held_back(i, 0.2)], "same answer every time"
    assert 0.17 < len(held) / len(ids) < 0.23
    assert not any(is_held_back(i, 0.0) for i in ids[:100])
    assert all(is_held_back(i, 1.0) for i in ids[:100])


def test_scores_record_form() -> None:
    assert CHAMP.as_dict() == {"macro_f1": 0.8, "corrections_accuracy": 0.4, "corrections": 10.0}
