"""The manifest of a classifier model bundle: what the model is, how it was made and how good it is."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from schemas.common import SCHEMA_VERSION, Contract, Department, UtcDatetime
from schemas.decisions import Calibration, DecisionCurves

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class DataFile(Contract):
    """One input file of a training run, identified by content."""

    path: str
    sha256: Sha256
    rows: Annotated[int, Field(ge=0)]


class PromotionDecision(Contract):
    """The champion/challenger comparison that decided whether this bundle became current."""

    promoted: bool
    reason: str
    champion_version: str | None
    champion_scores: dict[str, float]
    challenger_scores: dict[str, float]
    corrections_used: Annotated[int, Field(ge=0)] = 0
    decided_at: UtcDatetime


class ModelManifest(Contract):
    """``manifest.json`` of a classifier bundle directory."""

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: Literal["classifier"] = "classifier"
    version: Annotated[str, Field(pattern=VERSION_PATTERN)]
    created_at: UtcDatetime
    model_file: Annotated[str, Field(pattern=r"^[^/\\]+$")] = Field(
        description="File name of the model inside the bundle directory."
    )
    model_sha256: Sha256
    labels: Annotated[list[str], Field(min_length=2)] = Field(description="Output order of the model.")
    label_to_department: dict[str, Department]
    triage_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        description="Below this top-label confidence a message goes to triage (chosen on validation data)."
    )
    threshold_rule: str = Field(default="", description="How the threshold was chosen.")
    cleaning_version: str = Field(description="Version of the text cleaning the model was trained with.")
    max_chars: Annotated[int, Field(gt=0)] = Field(
        default=4000, description="Text is cut to this many characters before cleaning."
    )
    training: dict[str, float | int | str | bool] = Field(default_factory=dict)
    validation_metrics: dict[str, float] = Field(default_factory=dict)
    data: list[DataFile] = Field(default_factory=list)
    promotion: PromotionDecision | None = None
    calibration: Calibration | None = Field(
        default=None, description="Temperature scaling of the confidences (none: served as the model gives them)."
    )
    decisions: DecisionCurves | None = Field(
        default=None, description="Precision-target threshold curves (none: the triage threshold alone applies)."
    )

    @model_validator(mode="after")
    def _labels_all_mapped(self) -> Self:
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("labels must be unique")
        missing = [label for label in self.labels if label not in self.label_to_department]
        if missing:
            raise ValueError(f"labels without a department: {missing[:5]}")
        return self
