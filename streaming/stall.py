"""Notices a consumer whose fetches stopped progressing while records wait: lag remains, nothing arrives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StallDetector:
    """Stalled once ``after_s`` seconds have passed with lag above zero and no record consumed.

    A consumer with nothing to read is not stalled (lag 0); one that reads is not (it progresses). What is
    left is a broker that reports records waiting but does not deliver them, or a client that stopped
    asking: either way a person must look, since no retry of ours will fix it.
    """

    after_s: float
    _last_progress: float | None = None
    stalled: bool = False

    def progressed(self, now: float) -> None:
        """Records were consumed at ``now`` (:attr:`stalled` changes at the next :meth:`check`)."""
        self._last_progress = now

    def check(self, now: float, lag: int) -> bool:
        """Update and return :attr:`stalled` from the total lag measured at ``now``."""
        if lag <= 0 or self._last_progress is None:
            self._last_progress = now
            self.stalled = False
        else:
            self.stalled = now - self._last_progress >= self.after_s
        return self.stalled
