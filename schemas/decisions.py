"""What a classifier bundle records for routing decisions: its confidence calibration and precision curves."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.common import Contract, Department

Probability = Annotated[float, Field(ge=0.0, le=1.0)]

TARGETS: tuple[float, ...] = tuple(round(0.80 + 0.01 * i, 2) for i in range(20))
"""The precision targets every curve is computed for: 0.80, 0.81, ..., 0.99."""

Segment = Literal["complaint", "social", "all"]
"""Which events a curve applies to: an input event kind, or every event (bundles trained on one source)."""


class Calibration(Contract):
    """Temperature scaling of the model's label probabilities, fitted on the validation split.

    Served probabilities are ``softmax(log(p) / temperature)``; a department's confidence is the sum of its
    labels' calibrated probabilities. ECE is measured on that department confidence (15 equal-width bins).
    """

    method: Literal["temperature"] = "temperature"
    temperature: Annotated[float, Field(gt=0.0, le=100.0)]
    rows: Annotated[int, Field(ge=0)] = Field(description="Validation rows the temperature was fitted on.")
    ece_before: Probability
    ece_after: Probability
    nll_before: Annotated[float, Field(ge=0.0)]
    nll_after: Annotated[float, Field(ge=0.0)]


class CurvePoint(Contract):
    """The lowest confidence threshold at which auto-routed precision on validation reaches ``target``."""

    target: Probability
    threshold: Probability | None = Field(
        description="Route automatically at or above this calibrated confidence; null: the target is not "
        "reached at any threshold, so nothing is routed automatically."
    )
    precision: Probability | None = Field(description="Auto-routed precision on validation at the threshold.")
    coverage: Probability = Field(description="Share of the events predicted for the department routed automatically.")
    routed: Annotated[int, Field(ge=0)] = Field(description="Validation events routed automatically.")


class DepartmentCurve(Contract):
    """One department's curve in one segment, or none when validation had too few of its events."""

    examples: Annotated[int, Field(ge=0)] = Field(description="Validation events predicted for the department.")
    points: list[CurvePoint] | None = Field(
        description="One point per target; null: fewer than the minimum examples, the segment's pooled curve applies."
    )


class SegmentCurves(Contract):
    """The curves of one segment: per department, and pooled over its departments (the fallback)."""

    examples: Annotated[int, Field(ge=0)]
    pooled: list[CurvePoint]
    departments: dict[Department, DepartmentCurve]


class DecisionCurves(Contract):
    """Per-segment, per-department precision curves on calibrated confidence, chosen on validation."""

    rule: str
    min_examples: Annotated[int, Field(ge=1)]
    targets: list[Probability]
    segments: dict[Segment, SegmentCurves]
