"""Precision-target threshold curves on validation: per event kind and department, the lowest calibrated
confidence at which auto-routed precision reaches each target, and the coverage it leaves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from classifier.label_space import LabelSpace, Probabilities
from schemas.common import TRIAGE
from schemas.decisions import TARGETS, CurvePoint, DecisionCurves, DepartmentCurve, SegmentCurves

MIN_EXAMPLES = 30
"""A department needs this many validation events predicted for it in a segment for a curve of its own."""
SOURCE_SEGMENT = {"cfpb": "complaint", "banking77": "social", "clinc150": "social"}
"""The input event kind each training source stands for: complaint-form narratives, short chat messages."""
RULE = (
    "per event kind and department, on the validation split's calibrated confidences: the lowest threshold at "
    "which the precision of the events predicted for the department with confidence at or above it reaches the "
    f"target; with fewer than {MIN_EXAMPLES} such events the kind's pooled curve over all departments applies; "
    "a target never reached routes nothing automatically; out-of-scope predictions always go to triage"
)
_TOLERANCE = 1e-9


def curve(confidence: npt.ArrayLike, correct: npt.ArrayLike, targets: Sequence[float] = TARGETS) -> list[CurvePoint]:
    """One point per target over events with ``confidence`` whose routing is ``correct``.

    Thresholds are the events' own confidences; events tied at a confidence are routed or held together.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    n = len(conf)
    precision = np.cumsum(ok) / np.arange(1, n + 1)
    # A cut is possible only after the last of a group of equal confidences.
    cut = np.r_[conf[:-1] > conf[1:], True] if n else np.zeros(0, dtype=bool)
    return [lowest_cut(target, conf, precision, cut & (precision >= target - _TOLERANCE)) for target in targets]


def lowest_cut(
    target: float, conf: npt.NDArray[np.float64], precision: npt.NDArray[np.float64], allowed: npt.NDArray[np.bool_]
) -> CurvePoint:
    """The point for ``target`` at the last ``allowed`` cut of events sorted by falling ``conf`` (the lowest
    threshold), with the observed ``precision`` there; no threshold when no cut is allowed."""
    reached = np.flatnonzero(allowed)
    if reached.size == 0:
        return CurvePoint(target=target, threshold=None, precision=None, coverage=0.0, routed=0)
    i = int(reached.max())
    return CurvePoint(
        target=target,
        threshold=float(conf[i]),
        precision=round(float(precision[i]), 4),
        coverage=round((i + 1) / len(conf), 4),
        routed=i + 1,
    )


def segment_curves(departments: Sequence[str], predicted: npt.NDArray[np.object_], confidence: Probabilities,
                   truth: npt.NDArray[np.object_]) -> SegmentCurves:  # fmt: skip
    """The curves of one segment's events: pooled over the routable predictions, and per department."""
    routable = predicted != TRIAGE
    correct = predicted == truth
    per_department = {}
    for department in departments:
        rows = predicted == department
        count = int(rows.sum())
        points = curve(confidence[rows], correct[rows]) if count >= MIN_EXAMPLES else None
        per_department[department] = DepartmentCurve(examples=count, points=points)
    return SegmentCurves(
        examples=int(routable.sum()),
        pooled=curve(confidence[routable], correct[routable]),
        departments=per_department,
    )


def decision_curves(
    space: LabelSpace, probs: Probabilities, true_departments: Sequence[str], sources: Sequence[str]
) -> DecisionCurves:
    """The curves of every segment: ``all`` events, and each event kind the sources stand for."""
    dept = space.department_probabilities(probs)
    best = dept.argmax(axis=1)
    predicted = np.asarray(space.departments, dtype=object)[best]
    confidence = dept[np.arange(len(best)), best]
    truth = np.asarray(true_departments, dtype=object)
    segment = np.asarray([SOURCE_SEGMENT.get(s, "") for s in sources], dtype=object)
    routable = [d for d in space.departments if d != TRIAGE]
    segments = {"all": segment_curves(routable, predicted, confidence, truth)}
    for name in sorted(set(segment.tolist()) - {""}):
        rows = segment == name
        segments[name] = segment_curves(routable, predicted[rows], confidence[rows], truth[rows])
    return DecisionCurves(
        rule=RULE,
        min_examples=MIN_EXAMPLES,
        targets=list(TARGETS),
        segments=segments,
    )
