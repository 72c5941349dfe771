"""The champion/challenger rule and the deterministic hold-back of corrections: pure functions."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

FLOAT_SLACK = 1e-9
"""Scores computed twice on the same data may differ in the last bits; never let that decide."""


class Scores(NamedTuple):
    """How good one model is: department macro-F1 on the fixed validation set and accuracy on held-back corrections."""

    macro_f1: float
    corrections_accuracy: float
    corrections: int

    def as_dict(self) -> dict[str, float]:
        """The form recorded in a manifest's promotion decision."""
        return {
            "macro_f1": self.macro_f1,
            "corrections_accuracy": self.corrections_accuracy,
            "corrections": float(self.corrections),
        }


class Decision(NamedTuple):
    """Whether the challenger becomes current, and why (a sentence for people)."""

    promoted: bool
    reason: str


def decide_promotion(champion: Scores | None, challenger: Scores, tolerance: float) -> Decision:
    """Promote only if the challenger is not worse on macro-F1 (within ``tolerance``) and better on the corrections.

    Without a champion (an empty registry) the challenger is promoted. Without held-back corrections
    there is no evidence that the challenger learned from them, so it is rejected.
    """
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    if champion is None:
        return Decision(True, "no champion in the registry")
    if challenger.corrections == 0:
        return Decision(False, "no held-back corrections to compare the models on")
    floor = champion.macro_f1 - tolerance
    if challenger.macro_f1 < floor - FLOAT_SLACK:
        return Decision(
            False,
            f"validation macro-F1 {challenger.macro_f1:.4f} is below the champion's "
            f"{champion.macro_f1:.4f} minus the tolerance {tolerance:g}",
        )
    if challenger.corrections_accuracy <= champion.corrections_accuracy + FLOAT_SLACK:
        return Decision(
            False,
            f"not better on {challenger.corrections} held-back corrections "
            f"({challenger.corrections_accuracy:.4f} vs the champion's {champion.corrections_accuracy:.4f})",
        )
    return Decision(
        True,
        f"validation macro-F1 {challenger.macro_f1:.4f} vs {champion.macro_f1:.4f} (tolerance {tolerance:g}); "
        f"held-back corrections {challenger.corrections_accuracy:.4f} vs {champion.corrections_accuracy:.4f}",
    )


def is_held_back(ticket_id: str, fraction: float) -> bool:
    """Whether a correction is kept out of training to judge models: a stable hash of the ticket id.

    The same ticket is always on the same side, across refreshes and processes.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be within [0, 1]")
    digest = hashlib.sha256(ticket_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction
