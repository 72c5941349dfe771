"""Temperature scaling of label probabilities: the served confidences are calibrated probabilities (numpy only)."""

from __future__ import annotations

import numpy as np

from classifier.label_space import Probabilities

FLOOR = 1e-12
"""Probabilities are floored before the log: a softmax output can round to exactly 0 in float32."""


def apply_temperature(probs: Probabilities, temperature: float) -> Probabilities:
    """``softmax(log(probs) / temperature)`` row by row; ``temperature`` 1 returns ``probs`` unchanged."""
    if temperature == 1.0:
        return probs
    logits = np.log(np.maximum(probs, FLOOR)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return np.asarray(scaled / scaled.sum(axis=1, keepdims=True), dtype=np.float32)
