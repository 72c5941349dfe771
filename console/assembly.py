"""Assembles the console from its settings: database, consumer, publisher, housekeeping and HTTP."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

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
from core.errors import ConfigError
from core.http_thread import serve_in_thread
from streaming.worker import BackgroundWorker

if TYPE_CHECKING:
    import uvicorn

logger = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL_S = 5.0


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
        self._server: uvicorn.Server | None = None
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
        host = self.settings.http_host
        self._server, self.port = serve_in_thread(
            create_app(self.api), host, self.settings.http_port, self._stack, "the console"
        )
        logger.info("triage console on http://%s:%d/", host, self.port)

    def stop(self) -> None:
        """Stop HTTP and the background threads, close the producer and the database (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        self._stack.close()
