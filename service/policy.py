"""Routing policy: which calibrated confidence routes an event automatically, per department and event kind.

A bank states the precision it wants (``TICKET_ROUTER_TARGET_PRECISION``, per-department overrides); the bundle's
validation curves turn each target into a threshold. Plain Python, no Kafka and no TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from schemas.common import DEPARTMENTS, TRIAGE
from schemas.decisions import TARGETS, CurvePoint, DecisionCurves, DepartmentCurve, SegmentCurves

TARGET_MIN, TARGET_MAX = TARGETS[0], TARGETS[-1]
DEFAULT_TARGET = 0.95
NEVER = math.inf
"""The threshold of a target no validation threshold reached: the department's events all go to triage."""
ROUTABLE = tuple(d for d in DEPARTMENTS if d != TRIAGE)
MAX_SPEC_CHARS = 1000


def check_target(value: float, what: str = "target precision") -> float:
    """``value`` when it is a precision target the curves cover (0.80..0.99); ``ValueError`` naming it otherwise."""
    if not (isinstance(value, int | float) and math.isfinite(value) and TARGET_MIN <= value <= TARGET_MAX):
        raise ValueError(f"{what} must be a number from {TARGET_MIN} to {TARGET_MAX}, got {value!r}")
    return float(value)


def parse_department_targets(spec: str) -> dict[str, float]:
    """``"collections=0.98,cards=0.9"`` as ``{department: target}``; ``ValueError`` with the reason otherwise.

    Empty text means no overrides. Departments are the routing contract's names (triage has no target).
    """
    if len(spec) > MAX_SPEC_CHARS:
        raise ValueError(f"the per-department targets are longer than {MAX_SPEC_CHARS} characters")
    targets: dict[str, float] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, value = (s.strip() for s in part.partition("="))
        if not sep:
            raise ValueError(f"{part!r} is not department=target (e.g. collections=0.98)")
        if name not in ROUTABLE:
            raise ValueError(f"unknown department {name!r}; departments with a target are {', '.join(ROUTABLE)}")
        if name in targets:
            raise ValueError(f"department {name!r} is given twice")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"the target of {name} is not a number: {value!r}") from None
        targets[name] = check_target(number, f"the target of {name}")
    return targets


def point_for(points: list[CurvePoint], target: float) -> CurvePoint | None:
    """The curve's point for ``target``: the first at or above it (a stricter target, never a looser one)."""
    return next((p for p in points if p.target >= target - 1e-9), None)


@dataclass(frozen=True)
class PrecisionPolicy:
    """The bank's precision targets: one default and per-department overrides."""

    target: float = DEFAULT_TARGET
    by_department: Mapping[str, float] = field(default_factory=dict)

    def target_for(self, department: str) -> float:
        """The precision target of ``department``."""
        return self.by_department.get(department, self.target)

    def thresholds(self, curves: DecisionCurves | None, fallback: float, segment: str) -> dict[str, float]:
        """The threshold of every routable department for events of ``segment`` (an event kind).

        Rules, in order: the department's own curve in the segment (the segment ``all`` when the bundle has
        no curves for this kind); the segment's pooled curve when the department had too few validation
        events; ``fallback`` (the bundle's triage threshold) when the bundle has no curves at all. A target
        no threshold reached on validation gives :data:`NEVER`.
        """
        segments: dict[str, SegmentCurves] = {str(k): v for k, v in curves.segments.items()} if curves else {}
        seg = segments.get(segment) or segments.get("all")
        if seg is None:
            return dict.fromkeys(ROUTABLE, fallback)
        own_curves: dict[str, DepartmentCurve] = {str(k): v for k, v in seg.departments.items()}
        out = {}
        for department in ROUTABLE:
            own = own_curves.get(department)
            points = own.points if own is not None and own.points else seg.pooled
            point = point_for(points, self.target_for(department))
            if point is None:
                out[department] = fallback
            else:
                out[department] = NEVER if point.threshold is None else point.threshold
        return out
