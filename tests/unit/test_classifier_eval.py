"""The one evaluation: macro-F1, metrics, the triage threshold chosen on validation data, promotion scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from classifier.label_space import LabelSpace
from classifier.prediction import Prediction
from training.classifier.evaluate import (
    EvalSet,
    accuracy,
    choose_threshold,
    classification_metrics,
    headline,
    macro_f1,
    routed_departments,
    score,
    source_metrics,
)

SPACE = LabelSpace(["c", "a", "oos"], {"c": "cards", "a": "accounts", "oos": "triage"})


def test_metrics_per_class_and_out_of_scope_recall() -> None:
    true = ["cards", "cards", "accounts", "triage", "triage"]
    pred = ["cards", "accounts", "accounts", "triage", "cards"]
    m = classification_metrics(true, pred)
    assert m["accuracy"] == 0.6 and m["n"] == 5
    assert m["per_class"]["cards"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["out_of_scope_recall"] == 0.5
    assert m["in_scope_accuracy"] == pytest.approx(0.6667)
    assert "out_of_scope_recall" not in classification_metrics(["cards"], ["cards"])


# Hand-computed: cards P=1 R=1/2 F1=2/3; accounts F1=1; triage P=0 (a cards row sent there) R=0 F1=0; loans is
# predicted but no row is loans: it has no recall, so no F1, and is left out. Mean over the 3 true classes: 5/9
# (not 5/12 over every class seen, nor 5/24 over the eight departments).
HAND_TRUE = ["cards", "cards", "accounts", "triage"]
HAND_PRED = ["cards", "triage", "accounts", "loans"]


def test_macro_f1_is_the_mean_over_the_true_classes() -> None:
    assert macro_f1(HAND_TRUE, HAND_PRED) == pytest.approx(5 / 9)
    assert classification_metrics(HAND_TRUE, HAND_PRED)["macro_f1"] == round(5 / 9, 4)
    assert macro_f1(["cards"], ["cards"]) == 1.0
    assert macro_f1([], []) == 0.0 and accuracy([], []) == 0.0


def test_macro_f1_counts_only_true_classes() -> None:
    # A complaint sent to triage is an error, not an extra class that drags the mean down.
    m = classification_metrics(["cards", "accounts"], ["cards", "triage"])
    assert m["macro_f1"] == pytest.approx(0.5)


def test_threshold_sends_unsure_predictions_to_triage() -> None:
    probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.1, 0.1, 0.8]], dtype=np.float32)
    assert SPACE.routed(probs, 0.0) == ["cards", "cards", "triage"]
    assert SPACE.routed(probs, 0.5) == ["cards", "triage", "triage"]


def test_chosen_threshold_maximises_macro_f1_on_validation() -> None:
    # Out-of-scope rows that the model half believes are cards: a threshold above 0.55 catches them.
    probs = np.array([[0.95, 0.03, 0.02]] * 10 + [[0.03, 0.95, 0.02]] * 10 + [[0.55, 0.05, 0.40]] * 5, dtype=np.float32)
    true = ["cards"] * 10 + ["accounts"] * 10 + ["triage"] * 5
    t = choose_threshold(SPACE, probs, true)
    assert 0.55 < t <= 0.95
    assert SPACE.routed(probs, t) == true
    assert choose_threshold(SPACE, probs[:20], true[:20]) == 0.0, "nothing to gain: the lowest threshold"


def test_threshold_may_hold_back_misroutes_without_triage_rows() -> None:
    # No true triage rows: holding back the two unsure accounts rows the model calls cards costs accounts nothing
    # (they were missed anyway) and makes cards exact, so the threshold rises above 0.55. Were triage counted
    # as a class once predicted (F1 0), the mean would drop and the threshold would stay at 0.
    probs = np.array([[0.95, 0.03, 0.02]] * 10 + [[0.03, 0.95, 0.02]] * 10 + [[0.55, 0.40, 0.05]] * 2, dtype=np.float32)
    true = ["cards"] * 10 + ["accounts"] * 12
    t = choose_threshold(SPACE, probs, true)
    assert 0.55 < t <= 0.95
    assert macro_f1(true, SPACE.routed(probs, t)) > macro_f1(true, SPACE.routed(probs, 0.0))


def test_per_source_and_headline_numbers() -> None:
    by_source = source_metrics(["cards", "triage", "cards"], ["cards", "triage", "accounts"], ["a", "b", "a"])
    assert by_source["a"]["accuracy"] == 0.5 and by_source["b"]["out_of_scope_recall"] == 1.0
    overall = classification_metrics(["cards", "triage", "cards"], ["cards", "triage", "accounts"])
    flat = headline(by_source, overall)
    assert flat["a.accuracy"] == 0.5 and flat["b.out_of_scope_recall"] == 1.0 and "accuracy" in flat


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


def test_promotion_routes_like_the_router() -> None:
    model = Fixed({"a": ("cards", 0.9), "b": ("loans", 0.4), "c": ("triage", 0.9)}, threshold=0.5)
    assert routed_departments(model, ["a", "b", "c"]) == ["cards", "triage", "triage"]


def test_promotion_scores_on_validation_and_corrections() -> None:
    model = Fixed({"a": ("cards", 0.9), "b": ("loans", 0.9), "c": ("cards", 0.9)}, threshold=0.5)
    validation = EvalSet(["a", "b", "c"], ["cards", "loans", "loans"])
    scores = score(model, validation, EvalSet(["b", "c"], ["loans", "loans"]))
    assert scores.corrections == 2 and scores.corrections_accuracy == 0.5
    # cards: P=1/2 R=1 F1=2/3; loans: P=1 R=1/2 F1=2/3
    assert abs(scores.macro_f1 - 2 / 3) < 1e-9


def test_promotion_uses_the_same_macro_f1() -> None:
    table = {f"t{i}": (d, 0.9) for i, d in enumerate(HAND_PRED)}
    scores = score(Fixed(table, 0.5), EvalSet(list(table), HAND_TRUE), EvalSet([], []))
    assert scores.macro_f1 == pytest.approx(5 / 9) and scores.corrections == 0
