"""The classifier contract the router depends on: a Protocol and its value objects, free of TensorFlow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from schemas.decisions import DecisionCurves

MAX_ALTERNATIVES = 5
"""Alternatives a loaded bundle ranks after the top department: the most a caller can ask for."""


class Scored(NamedTuple):
    """A label with its department and probability."""

    label: str
    department: str
    confidence: float


class Prediction(NamedTuple):
    """The model's answer for one text: the top label and the next best ones (``alternatives``)."""

    label: str
    department: str
    confidence: float
    alternatives: tuple[Scored, ...] = ()


class Classifier(Protocol):
    """Anything that turns a batch of raw texts into predictions, in order (a loaded bundle, a test fake)."""

    @property
    def version(self) -> str:
        """The bundle version, carried into every routed event."""
        ...

    @property
    def triage_threshold(self) -> float:
        """Below this confidence a message goes to triage (the bundle's validated default)."""
        ...

    @property
    def decision_curves(self) -> DecisionCurves | None:
        """Precision-target threshold curves chosen on validation (``None``: the triage threshold alone)."""
        ...

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, same order, computed in batches (never one model call per text)."""
        ...

    def explain(self, texts: Sequence[str], labels: Sequence[str]) -> list[tuple[str, ...]]:
        """The few terms that most supported each text's label, same order (empty when the model cannot say)."""
        ...
