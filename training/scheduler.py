"""Starts a refresh when enough new corrections arrived, or on a schedule when there are any."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from streaming.worker import BackgroundWorker
from training.jobs import JobBusyError, JobRunner, JobState

logger = logging.getLogger(__name__)

FAILURE_BACKOFF_S = 300.0
"""After a failed automatic refresh, wait this long before the next automatic one (no crash loops)."""


def due_trigger(
    new_corrections: int, min_new: int, interval_s: float, since_last_s: float, backoff_left_s: float
) -> str | None:
    """Which trigger fires now: ``corrections``, ``schedule`` or None. Pure, for tests.

    The schedule only fires when there is at least one new correction: retraining on unchanged data
    cannot make a better model.
    """
    if backoff_left_s > 0 or new_corrections == 0:
        return None
    if new_corrections >= min_new:
        return "corrections"
    if interval_s > 0 and since_last_s >= interval_s:
        return "schedule"
    return None


class RefreshScheduler(BackgroundWorker):
    """A thread that checks the triggers every ``check_interval_s`` and submits refresh jobs."""

    name = "refresh-scheduler"
    join_timeout_s = 5.0

    def __init__(
        self,
        jobs: JobRunner,
        start_refresh: Callable[[str], object],
        count_new: Callable[[], int],
        min_new: int,
        interval_s: float,
        check_interval_s: float,
    ) -> None:
        super().__init__()
        self._jobs = jobs
        self._start_refresh = start_refresh
        self._count_new = count_new
        self._min_new = min_new
        self._interval_s = interval_s
        self._check_interval_s = check_interval_s
        self._last_refresh = time.monotonic()
        self._backoff_until = 0.0
        self._last_job: str | None = None

    def run(self) -> None:
        """Check the triggers every ``check_interval_s`` until stopped."""
        while not self._stop.wait(self._check_interval_s):
            self.check_once()

    def check_once(self) -> str | None:
        """Start a refresh if one is due and none is running; returns the trigger used."""
        self._note_finished()
        if self._jobs.running() is not None:
            return None
        now = time.monotonic()
        trigger = due_trigger(
            self._count_new(), self._min_new, self._interval_s, now - self._last_refresh, self._backoff_until - now
        )
        if trigger is None:
            return None
        try:
            job = self._start_refresh(trigger)
        except JobBusyError:
            return None
        self._last_job = getattr(job, "id", None)
        self._last_refresh = now
        logger.info("refresh triggered by %s", trigger)
        return trigger

    def _note_finished(self) -> None:
        if self._last_job is None:
            return
        job = self._jobs.get(self._last_job)
        if job is None or job.state is JobState.RUNNING:
            return
        if job.state is JobState.FAILED:
            self._backoff_until = time.monotonic() + FAILURE_BACKOFF_S
            logger.warning("automatic refresh %s failed; next automatic try in %.0fs", job.id, FAILURE_BACKOFF_S)
        self._last_job = None
