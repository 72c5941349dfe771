"""Assembles the console from its settings: database, consumer, publisher, housekeeping and HTTP."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from typing import Any

from kafka.errors import KafkaError
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import DBAPIError

from console.api import ConsoleApi, create_app
from console.consumer import TriageConsumer
from console.db import make_engine, upgrade
from console.desk import Desk
from console.identity import identity_from
from console.metrics import ConsoleMetrics
from console.publisher import Publisher
from console.settings import ConsoleSettings
from console.store import WorkStore
from service.errors import ConfigError
from service.worker import BackgroundWorker

logger = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL_S = 5.0
HTTP_START_TIMEOUT_S = 15.0


class Housekeeper(BackgroundWorker):
    """Every few seconds: refresh the queue gauges and publish decisions whose first publish failed."""

    name = "console-housekeeping"

    def __init__(self, desk: Desk, interval_s: float = HOUSEKEEPING_INTERVAL_S) -> None:
        super().__init__()
        self._desk = desk
        self._interval_s = interval_s

    def run(self) -> None:
        """Loop until stopped; an outage is logged and tried again, anything else ends the thread (/healthz)."""
        try:
            while not self._stop.wait(self._interval_s):
                try:
                    self._desk.refresh_gauges()
                    self._desk.publish_pending()
                except (DBAPIError, KafkaError) as exc:
                    logger.warning("housekeeping: %s; trying again in %.0fs", type(exc).__name__, self._interval_s)
        except Exception:  # noqa: BLE001 - logged here, then the dead thread is the signal (alive() is False)
            logger.exception("console housekeeping stopped on an unexpected error")

    def alive(self) -> bool:
        """Whether the thread is running."""
        return self._thread is not None and self._thread.is_alive()


class ConsoleService:
    """One ``ticket-console serve`` process: ``start()``, then ``stop()`` (idempotent) on SIGTERM."""

    def __init__(self, settings: ConsoleSettings, registry: CollectorRegistry | None = None) -> None:
        self.settings = settings
        self.metrics_registry = registry or CollectorRegistry()
        self.metrics = ConsoleMetrics(self.metrics_registry)
        self.engine = make_engine(settings.database_url.get_secret_value())
        self.store = WorkStore(self.engine)
        self.publisher = Publisher(settings)
        self.desk = Desk(settings, self.store, self.publisher, self.metrics)
        self.consumer = TriageConsumer(settings, self.store, self.metrics)
        self.housekeeper = Housekeeper(self.desk)
        self.api = ConsoleApi(
            desk=self.desk,
            identity=identity_from(settings),
            auth=settings.auth,
            metrics_registry=self.metrics_registry,
            alive=self.alive,
            ready=self.ready,
        )
        self._stack = contextlib.ExitStack()
        self._server: Any = None
        self.port = settings.http_port

    def alive(self) -> bool:
        """Both background threads are running (a dead one turns /healthz red at once)."""
        return self.consumer.alive() and self.housekeeper.alive()

    def ready(self) -> bool:
        """The database answers and the consumer has its partitions."""
        return self.consumer.ready() and self.store.ping()

    def start(self) -> None:
        """Migrate the database, start the consumer, housekeeping and the HTTP server."""
        if self.settings.auth == "none":
            logger.warning("TICKET_CONSOLE_AUTH=none: every request acts as agent 'demo'; for the demo only")
        try:
            upgrade(self.engine)
        except DBAPIError as exc:
            raise ConfigError(f"cannot prepare the work-item database: {type(exc).__name__}: {exc.orig}") from exc
        self._stack.callback(self.engine.dispose)
        self._stack.callback(self.publisher.close)
        for worker in (self.consumer, self.housekeeper):
            worker.start()
            self._stack.callback(worker.stop)
        self._start_http()

    def _start_http(self) -> None:
        import uvicorn

        sock = listen(self.settings.http_host, self.settings.http_port)
        self.port = int(sock.getsockname()[1])
        self._stack.callback(sock.close)
        config = uvicorn.Config(create_app(self.api), log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="http", daemon=True)
        thread.start()
        self._stack.callback(thread.join, 10)
        self._stack.callback(setattr, self._server, "should_exit", True)
        deadline = time.monotonic() + HTTP_START_TIMEOUT_S
        while not self._server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(f"the console could not serve on port {self.port} (see the log)")
            time.sleep(0.05)
        logger.info("triage console on http://%s:%d/", self.settings.http_host, self.port)

    def stop(self) -> None:
        """Stop HTTP and the background threads, close the producer and the database (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        self._stack.close()


def listen(host: str, port: int) -> socket.socket:
    """Bind the HTTP port here, so a busy port is a clear error at start instead of a dying server thread."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"the console cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock
