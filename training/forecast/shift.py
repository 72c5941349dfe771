"""Level-shift detector: has the recent level moved away from the level of the weeks before it?

An origin *follows a level shift* when the mean of the last ``recent_days`` days before it differs from
the mean of the ``prior_days`` days before those by more than ``threshold`` (relative). The defaults (4
weeks against the 12 before, 15%) are the definition the rolling evaluation reports shifted origins by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import DataError


@dataclass(frozen=True)
class LevelShift:
    """The definition of a level shift; :meth:`change` and :meth:`at` apply it at an origin."""

    recent_days: int = 28
    prior_days: int = 84
    threshold: float = 0.15

    def __post_init__(self) -> None:
        if self.recent_days < 1 or self.prior_days < 1 or self.threshold <= 0:
            raise DataError(f"invalid level-shift definition: {self}")

    @property
    def min_history(self) -> int:
        """Days needed before an origin to tell."""
        return self.recent_days + self.prior_days

    def change(self, values: np.ndarray, origin: int) -> float:
        """Relative change of the recent mean over the prior mean before position ``origin``.

        A prior mean of zero gives 0.0 when the recent mean is zero too, else infinity.
        """
        if origin < self.min_history or origin > len(values):
            raise DataError(f"a level shift at position {origin} needs {self.min_history} days before it")
        recent = float(np.mean(values[origin - self.recent_days : origin]))
        prior = float(np.mean(values[origin - self.min_history : origin - self.recent_days]))
        if prior == 0:
            return 0.0 if recent == 0 else float("inf")
        return recent / prior - 1.0

    def at(self, values: np.ndarray, origin: int) -> bool:
        """True when the origin follows a level shift (``|change| > threshold``)."""
        return abs(self.change(values, origin)) > self.threshold

    def describe(self) -> str:
        """The definition in words, for reports and the manifest."""
        return (
            f"mean of the last {self.recent_days} days differs from the mean of the {self.prior_days} days "
            f"before them by more than {self.threshold:.0%}"
        )
