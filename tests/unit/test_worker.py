"""A background thread that dies says so at once; one that is stopped stays healthy."""

from __future__ import annotations

import threading

import pytest

from streaming.worker import BackgroundWorker


class Dies(BackgroundWorker):
    name = "dies"

    def run(self) -> None:
        raise RecursionError("maximum recursion depth exceeded")


class Waits(BackgroundWorker):
    name = "waits"

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()

    def run(self) -> None:
        self.started.set()
        self._stop.wait()


def test_a_worker_that_raises_is_unhealthy_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    worker = Dies()
    assert worker.healthy()
    worker.start()
    worker.stop()  # joins the thread, which has ended by itself
    assert not worker.healthy() and worker.failure == "RecursionError"
    assert "background thread dies died" in caplog.text


def test_a_stopped_worker_stays_healthy() -> None:
    worker = Waits()
    worker.start()
    assert worker.started.wait(10)
    worker.stop()
    worker.stop()  # idempotent
    assert worker.healthy() and worker.failure is None
