"""The classifier contract the router depends on: a Protocol, its value objects, its smoke test; no TensorFlow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from core.errors import ModelLoadError, describe_exception
from schemas.common import DEPARTMENTS
from schemas.decisions import DecisionCurves

MAX_ALTERNATIVES = 5
"""Alternatives a loaded bundle ranks after the top department: the most a caller can ask for."""
TOP_LABELS = 5
"""Most likely labels, with their probabilities, a loaded bundle returns for each text."""


class Scored(NamedTuple):
    """A label with its department and probability."""

    label: str
    department: str
    confidence: float


class Prediction(NamedTuple):
    """The model's answer for one text: the top department and its best label, the next best departments
    (``alternatives``) and the most likely labels across departments (``top_labels``, best first)."""

    label: str
    department: str
    confidence: float
    alternatives: tuple[Scored, ...] = ()
    top_labels: tuple[tuple[str, float], ...] = ()


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


SMOKE_TEXTS = (
    "I was charged twice on my credit card",
    "my mortgage payment was not applied",
    "what's the weather tomorrow",
    "",
)


def smoke_test(classifier: Classifier) -> None:
    """A new model must answer a fixed batch sensibly before it may serve; raises :class:`ModelLoadError`."""
    try:
        predictions = classifier.predict(list(SMOKE_TEXTS))
    except Exception as exc:  # noqa: BLE001 - any failure of a candidate model is a refusal, never a crash
        raise ModelLoadError(f"smoke test failed: {describe_exception(exc)}") from exc
    if len(predictions) != len(SMOKE_TEXTS):
        raise ModelLoadError(f"smoke test: {len(predictions)} predictions for {len(SMOKE_TEXTS)} texts")
    for p in predictions:
        if p.department not in DEPARTMENTS or not 0.0 <= p.confidence <= 1.0:
            raise ModelLoadError(f"smoke test: invalid prediction {p.label!r} → {p.department!r} ({p.confidence})")
