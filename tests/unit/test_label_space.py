"""Label probabilities to department predictions, without TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.label_space import LabelSpace, triage_rule
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
    # The most likely labels across departments, best first, ties in label order (what the urgent rule reads).
    assert [label for label, _ in p.top_labels] == [
        "banking77:top_up_failed",
        "cfpb:cards",
        "banking77:card_arrival",
        "out_of_scope",
    ]
    assert [prob for _, prob in p.top_labels] == pytest.approx([0.4, 0.3, 0.3, 0.0])


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


def test_low_confidence_and_out_of_scope_route_to_triage() -> None:
    assert triage_rule("cards", 0.3, 0.4) == ("triage", "low_confidence")
    assert triage_rule("cards", 0.4, 0.4) == ("cards", "confident"), "at the threshold is confident"
    assert triage_rule("triage", 0.99, 0.4) == ("triage", "out_of_scope")
    assert triage_rule("triage", 0.1, 0.4) == ("triage", "out_of_scope"), "out of scope whatever the confidence"


def test_evaluation_routes_every_row_as_the_router_does() -> None:
    space = LabelSpace(LABELS, MAPPING)
    rng = np.random.default_rng(7)
    probs = rng.dirichlet(np.ones(len(LABELS)), size=300).astype(np.float32)
    # The top department's probability exactly float32(0.325), just below 0.325 as the router compares it.
    tie = np.array([[0.325, 0.0, 0.3, 0.3], [0.0, 0.0, 0.7, 0.3]], dtype=np.float32)
    probs = np.vstack([probs, tie])
    for threshold in (0.0, 0.325, 0.5, 0.7):
        router = [triage_rule(p.department, p.confidence, threshold)[0] for p in space.predictions(probs)]
        assert space.routed(probs, threshold) == router
    assert space.routed(tie, 0.325) == ["triage", "accounts"]
    assert space.routed(tie, 0.3) == ["cards", "accounts"]
