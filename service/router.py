"""The router's loop: poll → process a micro-batch → deliver and commit; reconnect, reload, drain on stop."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from kafka.errors import KafkaError

from schemas.common import utc_now
from service.kafka_delivery import RouterClients
from service.metrics import RouterMetrics
from service.model_watch import ModelWatcher
from service.pipeline import BatchPolicy, BatchResult, process_batch
from service.routing import InRecord
from service.settings import RouterSettings
from streaming.stall import StallDetector

logger = logging.getLogger(__name__)

LAG_INTERVAL_S = 5.0
STALL_AFTER_S = 120.0


class Router:
    """Runs until :meth:`stop`; the batch in flight is finished, delivered and committed before exit."""

    def __init__(
        self,
        settings: RouterSettings,
        watcher: ModelWatcher,
        metrics: RouterMetrics,
        clients_factory: Callable[[RouterSettings], RouterClients] = RouterClients,
    ) -> None:
        self.settings = settings
        self.watcher = watcher
        self.metrics = metrics
        self._clients_factory = clients_factory
        self._clients: RouterClients | None = None
        self._stop = threading.Event()
        self._last_beat = time.monotonic()
        self._last_lag = 0.0
        self._stall = StallDetector(settings.stall_after_s)
        self.policy = BatchPolicy(
            topic_prefix=settings.routed_topic_prefix,
            dlq_topic=settings.dlq_topic,
            max_message_bytes=settings.max_message_bytes,
            threshold=settings.triage_threshold,
            top_k=settings.top_k,
            max_record_bytes=settings.producer_max_bytes,
            mask_entities=settings.mask_entities,
        )

    def stop(self) -> None:
        """Ask the loop to finish its batch and exit (safe from a signal handler; idempotent)."""
        self._stop.set()

    def alive(self) -> bool:
        """False when the loop has not turned for a long time (a stuck process)."""
        return time.monotonic() - self._last_beat < STALL_AFTER_S

    def ready(self) -> bool:
        """True when a model serves, this replica is connected with partitions assigned, and fetches progress."""
        clients = self._clients
        serving = self.watcher.current is not None and clients is not None and clients.assigned()
        return serving and not self._stall.stalled

    def run(self) -> None:
        """Connect (with backoff), route until stopped, reconnect after broker errors."""
        backoff = 0.5
        while not self._stop.is_set():
            clients = self._clients_factory(self.settings)
            try:
                clients.open()
                self._clients = clients
                backoff = 0.5
                logger.info("connected to %s as group %s", self.settings.bootstrap_servers, self.settings.group_id)
                self._route(clients)
            except KafkaError as exc:
                self.metrics.broker_reconnects.inc()
                logger.warning("Kafka error (%s: %s); reconnecting in %.1fs", type(exc).__name__, exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.settings.reconnect_backoff_max_s)
            finally:
                self._clients = None
                self.metrics.ready.set(0)
                clients.close()
        logger.info("router stopped")

    def _route(self, clients: RouterClients) -> None:
        while not self._stop.is_set():
            self._last_beat = time.monotonic()
            self.watcher.swap_if_ready()
            records = clients.poll()
            self.metrics.ready.set(1 if self.ready() else 0)
            if records:
                self._stall.progressed(time.monotonic())
                self._handle(clients, records)
            if time.monotonic() - self._last_lag > LAG_INTERVAL_S:
                self._report_lag(clients)

    def _handle(self, clients: RouterClients, records: list[InRecord]) -> None:
        started = time.perf_counter()
        classifier = self.watcher.current
        if classifier is None:  # load_initial() runs before run(); kept for type narrowing
            raise RuntimeError("no model in service")
        result = process_batch(records, classifier, self.policy, utc_now())
        committed = clients.deliver(records, result.outgoing)
        self.metrics.commits.labels(outcome="committed" if committed else "aborted").inc()
        if committed or not clients.exactly_once:
            self._count(records, result, started)

    def _count(self, records: list[InRecord], result: BatchResult, started: float) -> None:
        m = self.metrics
        now_ms = time.time() * 1000
        for topic, n in Counter(r.topic for r in records).items():
            m.consumed.labels(topic=topic).inc(n)
        for r in records:
            m.end_to_end_seconds.observe(max(0.0, (now_ms - r.timestamp_ms) / 1000))
        for (department, reason), n in Counter((r.department, r.reason) for r in result.routed).items():
            m.routed.labels(department=department, reason=reason).inc(n)
        for routed in result.routed:
            m.confidence.observe(routed.confidence)
        for (department, priority), n in Counter((r.department, r.priority) for r in result.routed).items():
            m.by_priority.labels(department=department, priority=priority).inc(n)
        for dlq_reason, n in Counter(result.dead_letter_reasons).items():
            m.dead_lettered.labels(reason=dlq_reason).inc(n)
        for entity, n in result.masked_entities.items():
            m.masked_entities.labels(entity=entity).inc(n)
        m.batch_size.observe(len(records))
        if result.routed:
            m.inference_seconds.observe(result.inference_seconds)
        m.batch_seconds.observe(time.perf_counter() - started)

    def _report_lag(self, clients: RouterClients) -> None:
        self._last_lag = time.monotonic()
        lags = clients.lag()
        for tp, lag in lags.items():
            self.metrics.consumer_lag.labels(topic=tp.topic, partition=str(tp.partition)).set(lag)
        was_stalled = self._stall.stalled
        if self._stall.check(self._last_lag, sum(lags.values())) and not was_stalled:
            logger.error(
                "fetches stopped progressing: %d records wait on %d partitions and none arrived for %gs",
                sum(lags.values()),
                sum(1 for lag in lags.values() if lag),
                self.settings.stall_after_s,
            )
        elif was_stalled and not self._stall.stalled:
            logger.info("fetches progress again")
        self.metrics.fetch_stalled.set(1 if self._stall.stalled else 0)
