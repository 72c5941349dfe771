"""A named background thread with an idempotent stop: the base of every loop that runs beside a service."""

from __future__ import annotations

import threading


class BackgroundWorker:
    """Subclasses implement :meth:`run` and end it soon after ``self._stop`` is set."""

    name = "worker"
    join_timeout_s = 10.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run :meth:`run` in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Ask :meth:`run` to end and wait for it (idempotent; safe from the worker thread itself)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.join_timeout_s if timeout_s is None else timeout_s)
            self._thread = None

    def run(self) -> None:
        raise NotImplementedError
