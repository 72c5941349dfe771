"""Precision-target threshold curves on validation: per event kind and department, the lowest calibrated
confidence at which auto-routed precision reaches each target, and the coverage it leaves.

Picking the lowest threshold at which a department's validation precision first touches the target favours
thresholds where validation happened to be lucky: held out, precision lands a little under the target, most
on small departments. Two guards make a department's threshold keep its promise held out
(``benchmarks/threshold_rules.py``): its precision at each cut is shrunk towards its kind's pooled precision at
the same threshold (:data:`PRIOR_EVENTS` pseudo-events), and no cut above the threshold, past the first
:data:`BURN_IN` events, may fall below the target.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from classifier.label_space import LabelSpace, Probabilities
from schemas.common import TRIAGE
from schemas.decisions import TARGETS, CurvePoint, DecisionCurves, DepartmentCurve, SegmentCurves

MIN_EXAMPLES = 30
"""A department needs this many validation events predicted for it in a segment for a curve of its own."""
PRIOR_EVENTS = 100
"""Pseudo-events at the kind's pooled precision counted in a department's precision at every threshold."""
BURN_IN = 20
"""A department's first events (most confident) that may dip below the target above its threshold."""
SOURCE_SEGMENT = {"cfpb": "complaint", "banking77": "social", "clinc150": "social"}
"""The input event kind each training source stands for: complaint-form narratives, short chat messages."""
RULE = (
    "per event kind and department, on the validation split's calibrated confidences: the lowest threshold at "
    "which the precision of the events predicted for the department with confidence at or above it reaches the "
    f"target, that precision counting {PRIOR_EVENTS} more events at the kind's pooled precision at the same "
    f"threshold, and no cut above it, past the first {BURN_IN} events, falling below the target; with fewer "
    f"than {MIN_EXAMPLES} such events the kind's pooled curve over all departments (the lowest threshold at "
    "which its observed precision reaches the target) applies; a target never reached routes nothing "
    "automatically; out-of-scope predictions always go to triage"
)
_TOLERANCE = 1e-9


PrecisionAt = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]
"""Precision of some events routed at or above each of the given thresholds."""


def curve(
    confidence: npt.ArrayLike,
    correct: npt.ArrayLike,
    targets: Sequence[float] = TARGETS,
    prior: PrecisionAt | None = None,
    burn_in: int | None = None,
) -> list[CurvePoint]:
    """One point per target over events with ``confidence`` whose routing is ``correct``.

    Thresholds are the events' own confidences; events tied at a confidence are routed or held together. With
    ``prior`` the precision that must reach the target counts :data:`PRIOR_EVENTS` more events at the prior's
    precision at each threshold; with ``burn_in`` no cut above the threshold past the first ``burn_in`` events
    may fall below the target (ties are one cut). Points report the observed precision.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    n = len(conf)
    right, routed = np.cumsum(ok), np.arange(1, n + 1)
    precision = right / routed
    estimate = precision if prior is None else (right + PRIOR_EVENTS * prior(conf)) / (routed + PRIOR_EVENTS)
    # A cut is possible only after the last of a group of equal confidences.
    cut = np.r_[conf[:-1] > conf[1:], True] if n else np.zeros(0, dtype=bool)
    points = []
    for target in targets:
        good = estimate >= target - _TOLERANCE
        if burn_in is not None:
            dips = np.flatnonzero(cut[burn_in:] & ~good[burn_in:])
            if dips.size:
                good[burn_in + int(dips[0]) :] = False
        points.append(lowest_cut(target, conf, precision, cut & good))
    return points


def precision_at(confidence: npt.NDArray[np.float64], correct: npt.NDArray[np.bool_]) -> PrecisionAt:
    """The precision of these events routed at or above each threshold (1.0 where none is)."""
    ascending = np.sort(confidence)
    right = np.r_[0, np.cumsum(correct[np.argsort(-confidence, kind="stable")])]

    def at(thresholds: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        above = len(ascending) - np.searchsorted(ascending, thresholds, side="left")
        result: npt.NDArray[np.float64] = np.where(above > 0, right[above] / np.maximum(above, 1), 1.0)
        return result

    return at


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
    pooled = precision_at(confidence[routable], correct[routable])
    per_department = {}
    for department in departments:
        rows = predicted == department
        count = int(rows.sum())
        enough = count >= MIN_EXAMPLES
        points = curve(confidence[rows], correct[rows], prior=pooled, burn_in=BURN_IN) if enough else None
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
