"""Label probabilities to department predictions, without TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.label_space import LabelSpace, route
from core.errors import UnroutableLabelError

LABELS = ["cfpb:cards", "banking77:card_arrival", "banking77:top_up_failed", "out_of_scope"]
MAPPING = {"cfpb:cards": "cards", "banking77:card_arrival": "cards", "banking77:top_up_failed": "accounts",
           "out_of_scope": "triage"}  # fmt: skip


def test_department_probability_is_the_sum_of_its_labels() -> None:
    space = LabelSpace(LABELS, MAPPING)
    assert space.departments == ("cards", "accounts", "triage")
    probs = np.array([[0.3, 0.3, 0.4, 0.0]], dtype=np.float32)
    [p] = space.predictions(probs)
    assert (p.department, p.label) == ("cards", "cfpb:cards")
    assert p.confidence == pytest.approx(0.6)
    assert [(a.label, a.department) for a in p.alternatives] == [
        ("banking77:top_up_failed", "accounts"),
        ("out_of_scope", "triage"),
    ]
    assert p.alternatives[0].confidence == pytest.approx(0.4)


def test_rows_keep_their_order_and_alternatives_are_capped() -> None:
    space = LabelSpace(LABELS, MAPPING)
    probs = np.array([[0, 0, 0, 1], [0, 0.9, 0.1, 0], [0.1, 0, 0.85, 0.05]], dtype=np.float32)
    preds = space.predictions(probs, alternatives=1)
    assert [p.department for p in preds] == ["triage", "cards", "accounts"]
    assert [p.label for p in preds] == ["out_of_scope", "banking77:card_arrival", "banking77:top_up_failed"]
    assert all(len(p.alternatives) == 1 for p in preds)


def test_unknown_department_and_wrong_width_are_refused() -> None:
    with pytest.raises(UnroutableLabelError, match="unknown department"):
        LabelSpace(["a", "b"], {"a": "cards", "b": "insurance"})
    space = LabelSpace(LABELS, MAPPING)
    with pytest.raises(UnroutableLabelError, match="shape"):
        space.predictions(np.zeros((2, 3), dtype=np.float32))


def test_low_confidence_routes_to_triage() -> None:
    assert route("cards", 0.3, 0.4) == "triage"
    assert route("cards", 0.4, 0.4) == "cards"
