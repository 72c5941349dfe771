"""When a refresh starts by itself: enough new corrections, or the schedule; never twice at once."""

from __future__ import annotations

import threading
from typing import Any

from training.jobs import JobRunner
from training.scheduler import RefreshScheduler, due_trigger


def test_due_trigger_rules() -> None:
    assert due_trigger(50, 50, 0, 0, 0) == "corrections"
    assert due_trigger(49, 50, 0, 1e9, 0) is None, "schedule off"
    assert due_trigger(1, 50, 60, 61, 0) == "schedule"
    assert due_trigger(1, 50, 60, 59, 0) is None
    assert due_trigger(0, 50, 60, 1e9, 0) is None, "nothing new: no point in retraining"
    assert due_trigger(100, 50, 60, 1e9, 5) is None, "backing off after a failure"


def test_scheduler_starts_one_job_and_waits_for_it() -> None:
    jobs = JobRunner()
    gate = threading.Event()
    new = [60]
    started: list[str] = []

    def start(trigger: str) -> Any:
        started.append(trigger)
        return jobs.submit("refresh", lambda _id: {"ok": gate.wait(10)}, trigger)

    scheduler = RefreshScheduler(jobs, start, lambda: new[0], 50, 0, 0.01)
    assert scheduler.check_once() == "corrections"
    assert scheduler.check_once() is None, "one at a time"
    gate.set()
    assert jobs.wait(5)
    new[0] = 0
    assert scheduler.check_once() is None
    assert started == ["corrections"]


def test_failed_automatic_refresh_backs_off() -> None:
    jobs = JobRunner()

    def start(trigger: str) -> Any:
        def fail(_id: str) -> dict[str, Any]:
            raise RuntimeError("broken data")

        return jobs.submit("refresh", fail, trigger)

    scheduler = RefreshScheduler(jobs, start, lambda: 100, 50, 0, 0.01)
    assert scheduler.check_once() == "corrections"
    assert jobs.wait(5)
    assert scheduler.check_once() is None, "no crash loop"


def test_scheduler_thread_checks_until_stopped() -> None:
    checks = threading.Semaphore(0)

    def count_new() -> int:
        checks.release()
        return 0

    before = set(threading.enumerate())
    scheduler = RefreshScheduler(JobRunner(), lambda _t: None, count_new, 50, 0, 0.01)
    scheduler.start()
    (thread,) = [t for t in set(threading.enumerate()) - before if t.name == RefreshScheduler.name]
    assert checks.acquire(timeout=10) and checks.acquire(timeout=10), "the thread checks the triggers repeatedly"
    scheduler.stop()
    assert not thread.is_alive(), "stop() returns once the thread has ended"
    scheduler.stop()  # idempotent
    assert scheduler.healthy()
