"""Test doubles: a keyword classifier standing in for the Bi-LSTM, so unit tests need no TensorFlow."""

from __future__ import annotations

from collections.abc import Sequence

from classifier.prediction import Prediction, Scored
from schemas.decisions import DecisionCurves

KEYWORDS = {"card": "cards", "mortgage": "mortgages", "loan": "loans", "weather": "triage"}


class KeywordClassifier:
    """Routes by the first keyword found; unsure (confidence 0.3) when none is."""

    def __init__(self, version: str = "fake-1", threshold: float = 0.5, curves: DecisionCurves | None = None) -> None:
        self._version = version
        self._threshold = threshold
        self._curves = curves
        self.calls: list[int] = []
        self.explained: list[str] = []

    @property
    def version(self) -> str:
        return self._version

    @property
    def triage_threshold(self) -> float:
        return self._threshold

    @property
    def decision_curves(self) -> DecisionCurves | None:
        return self._curves

    def explain(self, texts: Sequence[str], labels: Sequence[str]) -> list[tuple[str, ...]]:
        self.explained.extend(texts)
        return [tuple(word for word in KEYWORDS if word in text.lower()) for text in texts]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        self.calls.append(len(texts))
        out = []
        for text in texts:
            hit = next((dept for word, dept in KEYWORDS.items() if word in text.lower()), None)
            if hit is None:
                out.append(Prediction("unknown", "accounts", 0.3, (Scored("x", "payments", 0.2),)))
            else:
                out.append(Prediction(f"{hit}_label", hit, 0.9, (Scored("other", "payments", 0.05),)))
        return out
