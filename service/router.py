"""The router's loop: poll → process a micro-batch → deliver and commit; reconnect, reload, drain on stop."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from kafka import TopicPartition

from core.errors import TicketRouterError
from schemas.common import utc_now
from service.kafka_delivery import RouterClients, first_offsets, next_offsets
from service.metrics import RouterMetrics
from service.model_watch import ModelWatcher
from service.pipeline import BatchPolicy, BatchResult, process_batch
from service.routing import InRecord
from service.settings import RouterSettings
from streaming.consume_loop import LAG_INTERVAL_S, ConsumeLoop, broker_outage

logger = logging.getLogger(__name__)


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
        self._loop: ConsumeLoop[RouterClients, InRecord] = ConsumeLoop(
            "router",
            self._connect,
            self._turn,
            outage=self._outage,
            backoff_max_s=settings.reconnect_backoff_max_s,
            stall_after_s=settings.stall_after_s,
            lag_interval_s=LAG_INTERVAL_S,
            on_lag=self._export_lag,
            log=logger,
        )
        metrics.ready.set_function(lambda: 1 if self.ready() else 0)
        metrics.fetch_stalled.set_function(lambda: 1 if self._loop.stalled else 0)
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
        self._loop.stop()

    def alive(self) -> bool:
        """False when the loop has not turned for a long time (a stuck process)."""
        return self._loop.alive()

    def ready(self) -> bool:
        """True when a model serves, this replica is connected with partitions assigned, and fetches progress."""
        clients = self._loop.connection
        serving = self.watcher.current is not None and clients is not None and clients.assigned()
        return serving and not self._loop.stalled

    def run(self) -> None:
        """Connect (with backoff), route until stopped, reconnect after broker errors.

        The error policy, decided here and in :func:`service.pipeline.process_batch`:

        - a record that cannot be decoded, classified or mapped is dead-lettered and the batch goes on; when
          ``classifier.predict`` raises on a batch, the texts are classified one by one and only those it
          fails on are dead-lettered (reason ``internal_error``);
        - a ``KafkaError`` (broker away, producer fenced, group coordinator moved) is counted in
          ``ticket_router_broker_reconnects_total``; the clients are closed (an open transaction is never
          aborted in place: the replica's next producer fences it) and rebuilt after a backoff; the batch,
          not committed, is read again;
        - any other exception ends :meth:`run` after an error line naming it and the batch's positions: a
          :class:`ClassifierError` (the model failed on every text of a batch, or returned a wrong count),
          a :class:`ConfigError` (the broker refused a record sized to its limit) or a bug. The clients are
          closed, the batch is not committed (its partitions' next owner reads it again) and the exception
          propagates: ``ticket-router serve`` exits 2 for the first two, 1 with the traceback for a bug.
        """
        try:
            self._loop.run()
        except TicketRouterError as exc:
            logger.error("router stopping: %s (%s)", exc, _batch_note(exc))
            raise
        except Exception as exc:
            logger.exception("router stopping on an unexpected error (%s)", _batch_note(exc))
            raise

    def _connect(self) -> RouterClients:
        clients = self._clients_factory(self.settings)
        clients.open()
        logger.info("connected to %s as group %s", self.settings.bootstrap_servers, self.settings.group_id)
        return clients

    def _outage(self, exc: Exception) -> str | None:
        described = broker_outage(exc)
        if described is not None:
            self.metrics.broker_reconnects.inc()
        return described

    def _turn(self, clients: RouterClients, records: list[InRecord]) -> None:
        self.watcher.swap_if_ready()  # between batches
        if records:
            self._handle(clients, records)

    def _handle(self, clients: RouterClients, records: list[InRecord]) -> None:
        started = time.perf_counter()
        try:
            classifier = self.watcher.current
            if classifier is None:  # load_initial() runs before run(); kept for type narrowing
                raise RuntimeError("no model in service")
            result = process_batch(records, classifier, self.policy, utc_now())
            committed = clients.deliver(records, result.outgoing)
        except Exception as exc:
            exc.add_note(f"batch {positions(records)} not committed")
            raise
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

    def _export_lag(self, lags: Mapping[TopicPartition, int]) -> None:
        for tp, lag in lags.items():
            self.metrics.consumer_lag.labels(topic=tp.topic, partition=str(tp.partition)).set(lag)


def _batch_note(exc: BaseException) -> str:
    return "; ".join(getattr(exc, "__notes__", ())) or "no batch in hand"


def positions(records: Sequence[InRecord]) -> str:
    """``topic[partition]@first..last`` for each partition of a batch, for log lines."""
    ends = next_offsets(records)
    return ", ".join(
        f"{tp.topic}[{tp.partition}]@{start}..{ends[tp] - 1}" for tp, start in first_offsets(records).items()
    )
