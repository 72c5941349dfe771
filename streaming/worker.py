"""A named background thread with an idempotent stop: the base of every loop that runs beside a service."""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger(__name__)


class BackgroundWorker:
    """Subclasses implement :meth:`run` and end it soon after ``self._stop`` is set.

    A :meth:`run` that raises ends the thread: the exception is logged and :meth:`healthy` turns False
    at once, so the service's liveness probe reports it instead of the service limping on without it.
    """

    name = "worker"
    join_timeout_s = 10.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failure: str | None = None
        """The type of the exception that ended :meth:`run`, or None while it has not died."""

    def start(self) -> None:
        """Run :meth:`run` in a daemon thread."""
        self._thread = threading.Thread(target=self._guarded_run, name=self.name, daemon=True)
        self._thread.start()

    def _guarded_run(self) -> None:
        try:
            self.run()
        except Exception as exc:  # noqa: BLE001 - recorded and logged here; healthy() reports it
            self.failure = type(exc).__name__
            logger.exception("background thread %s died", self.name)

    def healthy(self) -> bool:
        """False once :meth:`run` has died with an exception."""
        return self.failure is None

    def stop(self, timeout_s: float | None = None) -> None:
        """Ask :meth:`run` to end and wait for it (idempotent; safe from the worker thread itself)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.join_timeout_s if timeout_s is None else timeout_s)
            self._thread = None

    def run(self) -> None:
        raise NotImplementedError
