"""Test doubles: a keyword classifier standing in for the Bi-LSTM, so unit tests need no TensorFlow."""

from __future__ import annotations

from collections.abc import Sequence

from service.prediction import Prediction, Scored

KEYWORDS = {"card": "cards", "mortgage": "mortgages", "loan": "loans", "weather": "triage"}


class KeywordClassifier:
    """Routes by the first keyword found; unsure (confidence 0.3) when none is."""

    def __init__(self, version: str = "fake-1", threshold: float = 0.5) -> None:
        self._version = version
        self._threshold = threshold
        self.calls: list[int] = []

    @property
    def version(self) -> str:
        return self._version

    @property
    def triage_threshold(self) -> float:
        return self._threshold

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
