"""Precision curves: hand-computed points, ties, empty and thin departments, segments by event kind, and the
guards (shrinkage towards the pooled precision, no dip above the threshold)."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.label_space import LabelSpace
from service.policy import NEVER, PrecisionPolicy
from training.classifier import threshold_curves
from training.classifier.threshold_curves import MIN_EXAMPLES, PRIOR_EVENTS, curve, decision_curves, precision_at


def _by_target(points: list, target: float):  # type: ignore[no-untyped-def]
    return next(p for p in points if p.target == target)


def test_the_lowest_threshold_that_reaches_each_target() -> None:
    # Sorted by confidence the running precision is 1, 1, 2/3, 3/4.
    points = curve([0.6, 0.9, 0.7, 0.8], [True, True, False, True], targets=[0.5, 0.75, 0.8, 1.0])
    assert [(p.target, p.threshold, p.routed, p.coverage) for p in points] == [
        (0.5, 0.6, 4, 1.0),
        (0.75, 0.6, 4, 1.0),
        (0.8, 0.8, 2, 0.5),
        (1.0, 0.8, 2, 0.5),
    ]
    assert _by_target(points, 0.75).precision == 0.75
    assert _by_target(points, 1.0).precision == 1.0


def test_tied_confidences_are_routed_or_held_together() -> None:
    # Cutting between the two 0.8s would claim precision 1.0 at 0.8; the tie makes it 2/3.
    points = curve([0.9, 0.8, 0.8, 0.7], [True, True, False, True], targets=[0.7, 0.9])
    assert [(p.threshold, p.routed) for p in points] == [(0.7, 4), (0.9, 1)]
    all_tied = curve([0.5] * 4, [True, True, True, False], targets=[0.75, 0.8])
    assert [(p.threshold, p.routed) for p in all_tied] == [(0.5, 4), (None, 0)]


def test_unreachable_targets_and_no_events() -> None:
    half = curve([0.9, 0.8], [False, True], targets=[0.5, 0.99])
    assert [p.threshold for p in half] == [0.8, None], "routing both reaches 1/2, routing one 0/1"
    wrong = curve([0.9, 0.8], [False, False], targets=[0.8])
    assert (wrong[0].threshold, wrong[0].precision, wrong[0].coverage) == (None, None, 0.0)
    assert [p.threshold for p in curve([], [], targets=[0.8, 0.9])] == [None, None]


def test_the_pooled_precision_at_each_threshold() -> None:
    at = precision_at(np.array([0.9, 0.8, 0.8, 0.5]), np.array([True, False, True, True]))
    assert at(np.array([0.95, 0.9, 0.85, 0.8, 0.1])).tolist() == pytest.approx([1.0, 1.0, 1.0, 2 / 3, 3 / 4])


def test_a_prior_counts_pseudo_events_at_its_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threshold_curves, "PRIOR_EVENTS", 2)
    half = lambda thresholds: np.full(len(thresholds), 0.5)  # noqa: E731
    # Two right events; with two pseudo-events at 0.5 the estimates are (1 + 1) / 3 and (2 + 1) / 4.
    points = curve([0.9, 0.8], [True, True], targets=[0.7, 0.8], prior=half)
    assert [(p.threshold, p.routed, p.precision) for p in points] == [(0.8, 2, 1.0), (None, 0, None)]
    assert [p.threshold for p in curve([0.9, 0.8], [True, True], targets=[0.7, 0.8])] == [0.8, 0.8]


def test_no_cut_above_the_threshold_may_dip_below_the_target_after_the_burn_in() -> None:
    # Running precision 1, 1/2, 2/3, 3/4, 4/5, 5/6: 0.8 is first reached at the fifth event.
    conf, ok = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4], [True, False, True, True, True, True]
    assert curve(conf, ok, targets=[0.8])[0].threshold == 0.4, "no guard: the lowest cut reaching 0.8"
    assert curve(conf, ok, targets=[0.8], burn_in=1)[0].threshold == 0.9, "the dip at the second event"
    assert curve(conf, ok, targets=[0.8], burn_in=2)[0].threshold == 0.9, "the dip at the third event"
    assert curve(conf, ok, targets=[0.8], burn_in=4)[0].threshold == 0.4, "dips only within the burn-in"
    tied = [0.9, 0.8, 0.8, 0.6, 0.5, 0.4]
    assert curve(tied, ok, targets=[0.6], burn_in=1)[0].threshold == 0.4, (
        "the tie is one cut at 2/3: its 1/2 inside is no dip"
    )


def _space() -> LabelSpace:
    return LabelSpace(
        ["card", "mortgage", "loan", "oos"],
        {"card": "cards", "mortgage": "mortgages", "loan": "loans", "oos": "triage"},
    )


def _rows(label: int, confidence: float, n: int) -> np.ndarray:
    rows = np.full((n, 4), (1.0 - confidence) / 3, dtype=np.float32)
    rows[:, label] = confidence
    return rows


def test_segments_departments_and_fallbacks() -> None:
    n = MIN_EXAMPLES
    probs = np.vstack([
        _rows(0, 0.9, n), _rows(0, 0.6, n),  # complaints predicted cards: right at 0.9, half wrong at 0.6
        _rows(1, 0.8, 5),  # five complaints predicted mortgages: too few for a curve of their own
        _rows(0, 0.7, n),  # social messages predicted cards, all right
        _rows(3, 0.9, 4),  # out of scope
    ])  # fmt: skip
    truth = ["cards"] * (2 * n - n // 2) + ["accounts"] * (n // 2) + ["mortgages"] * 5 + ["cards"] * n + ["triage"] * 4
    sources = ["cfpb"] * (2 * n + 5) + ["banking77"] * (n + 4)
    curves = decision_curves(_space(), probs, truth, sources)
    assert set(curves.segments) == {"all", "complaint", "social"}
    complaint = curves.segments["complaint"]
    assert complaint.departments["mortgages"].examples == 5 and complaint.departments["mortgages"].points is None
    assert complaint.departments["loans"].examples == 0 and complaint.departments["loans"].points is None
    assert "triage" not in complaint.departments
    policy = PrecisionPolicy(target=0.95, by_department={"mortgages": 0.8})
    complaint_thresholds = policy.thresholds(curves, 0.4, "complaint")
    assert complaint_thresholds["cards"] == pytest.approx(0.9)
    # Mortgages fall back to the complaint kind's pooled curve: cards at 0.9 and the five mortgages at 0.8
    # are all right, so 0.8 reaches 0.8 (and the 0.6 block, half wrong, does not).
    assert complaint_thresholds["mortgages"] == pytest.approx(0.8)
    assert policy.thresholds(curves, 0.4, "social")["cards"] == pytest.approx(0.7)
    assert policy.thresholds(None, 0.4, "social")["cards"] == 0.4, "no curves: the bundle's triage threshold"


def test_a_target_no_threshold_reached_sends_everything_to_triage() -> None:
    n = MIN_EXAMPLES
    probs = _rows(0, 0.6, n)
    truth = ["cards"] * (n // 2) + ["mortgages"] * (n - n // 2)
    curves = decision_curves(_space(), probs, truth, ["cfpb"] * n)
    assert PrecisionPolicy(target=0.9).thresholds(curves, 0.3, "complaint")["cards"] == NEVER


def test_a_small_department_leans_on_its_kinds_pooled_precision() -> None:
    n = MIN_EXAMPLES
    # Cards: n right at 0.9; mortgages: n at 0.9, half wrong. Pooled precision at 0.9 is 3/4.
    probs = np.vstack([_rows(0, 0.9, n), _rows(1, 0.9, n)])
    truth = ["cards"] * n + ["mortgages"] * (n // 2) + ["accounts"] * (n - n // 2)
    cards = decision_curves(_space(), probs, truth, ["cfpb"] * 2 * n).segments["complaint"].departments["cards"]
    shrunk = (n + PRIOR_EVENTS * 0.75) / (n + PRIOR_EVENTS)
    reached = [p.target for p in cards.points or [] if p.threshold is not None]
    assert reached == [t for t in threshold_curves.TARGETS if t <= shrunk + 1e-9]
    assert reached and max(reached) < 0.95, "observed precision alone (1.0) would reach every target"
