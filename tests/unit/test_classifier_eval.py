"""Metrics and the triage threshold chosen on validation data."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.label_space import LabelSpace
from training.classifier.evaluate import choose_threshold, classification_metrics, headline, routed, source_metrics

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


def test_macro_f1_counts_only_true_classes() -> None:
    # A complaint sent to triage is an error, not an extra class that drags the mean down.
    m = classification_metrics(["cards", "accounts"], ["cards", "triage"])
    assert m["macro_f1"] == pytest.approx(0.5)


def test_threshold_sends_unsure_predictions_to_triage() -> None:
    probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.1, 0.1, 0.8]], dtype=np.float32)
    assert routed(SPACE, probs, 0.0) == ["cards", "cards", "triage"]
    assert routed(SPACE, probs, 0.5) == ["cards", "triage", "triage"]


def test_chosen_threshold_maximises_macro_f1_on_validation() -> None:
    # Out-of-scope rows that the model half believes are cards: a threshold above 0.55 catches them.
    probs = np.array([[0.95, 0.03, 0.02]] * 10 + [[0.03, 0.95, 0.02]] * 10 + [[0.55, 0.05, 0.40]] * 5, dtype=np.float32)
    true = ["cards"] * 10 + ["accounts"] * 10 + ["triage"] * 5
    t = choose_threshold(SPACE, probs, true)
    assert 0.55 < t <= 0.95
    assert routed(SPACE, probs, t) == true
    assert choose_threshold(SPACE, probs[:20], true[:20]) == 0.0, "nothing to gain: the lowest threshold"


def test_per_source_and_headline_numbers() -> None:
    by_source = source_metrics(["cards", "triage", "cards"], ["cards", "triage", "accounts"], ["a", "b", "a"])
    assert by_source["a"]["accuracy"] == 0.5 and by_source["b"]["out_of_scope_recall"] == 1.0
    overall = classification_metrics(["cards", "triage", "cards"], ["cards", "triage", "accounts"])
    flat = headline(by_source, overall)
    assert flat["a.accuracy"] == 0.5 and flat["b.out_of_scope_recall"] == 1.0 and "accuracy" in flat
