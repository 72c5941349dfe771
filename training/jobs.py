"""Background jobs, one at a time: a refresh started by the API, the scheduler or the CLI, with its status."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.errors import TicketRouterError
from schemas.common import utc_now

logger = logging.getLogger(__name__)

JobFn = Callable[[str], Mapping[str, object]]
"""A job's work: called with the job id, returns a JSON-able result."""


class JobState(StrEnum):
    """Lifecycle of a job."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobBusyError(TicketRouterError):
    """Another job is running; carries its id."""

    def __init__(self, running_id: str) -> None:
        super().__init__(f"job {running_id} is still running")
        self.running_id = running_id


@dataclass
class Job:
    """One job's status; ``result`` when it succeeded, ``error`` when it failed."""

    id: str
    kind: str
    trigger: str
    state: JobState = JobState.RUNNING
    started_at: datetime = field(default_factory=utc_now)
    finished_at: datetime | None = None
    result: Mapping[str, object] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON form served by ``GET /jobs/{id}``."""
        return {
            "id": self.id,
            "kind": self.kind,
            "trigger": self.trigger,
            "state": self.state.value,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "result": self.result,
            "error": self.error,
        }


class JobRunner:
    """Runs at most one job at a time in a background thread and remembers the last ``keep`` jobs."""

    def __init__(self, keep: int = 100) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._running: Job | None = None
        self._thread: threading.Thread | None = None

    def submit(self, kind: str, work: JobFn, trigger: str = "api") -> Job:
        """Start ``work`` now; raises :class:`JobBusyError` when a job is running."""
        with self._lock:
            if self._running is not None:
                raise JobBusyError(self._running.id)
            job = Job(id=uuid.uuid4().hex[:12], kind=kind, trigger=trigger)
            self._running = job
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
            self._thread = threading.Thread(target=self._run, args=(job, work), name=f"job-{job.id}", daemon=True)
            self._thread.start()
        logger.info("job %s (%s) started by %s", job.id, kind, trigger)
        return job

    def get(self, job_id: str) -> Job | None:
        """A job by id (None when unknown or forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

    def running(self) -> Job | None:
        """The job in progress, if any."""
        with self._lock:
            return self._running

    def jobs(self) -> list[Job]:
        """Remembered jobs, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the running job to finish; True when none is running afterwards."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
        return self.running() is None

    def _run(self, job: Job, work: JobFn) -> None:
        try:
            result = work(job.id)
        except Exception as exc:  # noqa: BLE001 - a failed job is reported through its status, never crashes the service
            logger.exception("job %s (%s) failed", job.id, job.kind)
            with self._lock:
                job.state, job.error = JobState.FAILED, f"{type(exc).__name__}: {exc}"
        else:
            with self._lock:
                job.state, job.result = JobState.SUCCEEDED, result
            logger.info("job %s (%s) succeeded", job.id, job.kind)
        finally:
            with self._lock:
                job.finished_at = utc_now()
                self._running = None
