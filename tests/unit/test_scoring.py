"""Models are scored by where the router would send each text: department after the triage threshold."""

from __future__ import annotations

from collections.abc import Sequence

from classifier.prediction import Prediction
from training.scoring import EvalSet, accuracy, macro_f1, routed_departments, score


class Fixed:
    """Answers every text from a table: (department, confidence)."""

    def __init__(self, table: dict[str, tuple[str, float]], threshold: float) -> None:
        self.table = table
        self._threshold = threshold

    @property
    def version(self) -> str:
        return "fixed"

    @property
    def triage_threshold(self) -> float:
        return self._threshold

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [Prediction(self.table[t][0], self.table[t][0], self.table[t][1]) for t in texts]


def test_low_confidence_counts_as_triage() -> None:
    model = Fixed({"a": ("cards", 0.9), "b": ("loans", 0.4)}, threshold=0.5)
    assert routed_departments(model, ["a", "b"]) == ["cards", "triage"]


def test_scores_on_validation_and_corrections() -> None:
    model = Fixed({"a": ("cards", 0.9), "b": ("loans", 0.9), "c": ("cards", 0.9)}, threshold=0.5)
    validation = EvalSet(["a", "b", "c"], ["cards", "loans", "loans"])
    scores = score(model, validation, EvalSet(["b", "c"], ["loans", "loans"]))
    assert scores.corrections == 2 and scores.corrections_accuracy == 0.5
    # cards: P=1/2 R=1 F1=2/3; loans: P=1 R=1/2 F1=2/3
    assert abs(scores.macro_f1 - 2 / 3) < 1e-9


def test_empty_sets() -> None:
    assert accuracy([], []) == 0.0 and macro_f1([], []) == 0.0
