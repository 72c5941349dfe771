"""What agents and departments do to the queue: claim, resolve (record, then publish atomically), return."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from kafka.errors import KafkaError

from console.db import Resolution, WorkItem
from console.metrics import ConsoleMetrics
from console.publisher import Outgoing, Sink
from console.queue import NOT_BANKING, agent_routed, choose_label, feedback_for, suggestions
from console.settings import ConsoleSettings
from console.store import Decision, WorkStore
from schemas.common import TRIAGE, utc_now
from schemas.outputs import RoutedEvent

logger = logging.getLogger(__name__)

REPUBLISH_AFTER_S = 30.0
"""A decision still unpublished this long after it was made is published again by the outbox pass."""


def outgoing_records(settings: ConsoleSettings, routed: RoutedEvent, resolution: Resolution) -> list[Outgoing]:
    """The records of one decision: the routed event (unless not about banking) and the correction."""
    key = routed.event.event_id.encode()
    correction = feedback_for(routed, resolution.department, resolution.agent, resolution.resolved_at)
    records = [Outgoing(settings.feedback_topic, key, correction.model_dump_json().encode())]
    if resolution.department != TRIAGE:
        event = agent_routed(routed, resolution.department, resolution.label, resolution.agent, resolution.resolved_at)
        records.insert(0, Outgoing(settings.routed_topic(resolution.department), key, event.model_dump_json().encode()))
    return records


class Desk:
    """The queue's operations, shared by the HTTP API and the tests; the clock is injectable."""

    def __init__(
        self,
        settings: ConsoleSettings,
        store: WorkStore,
        publisher: Sink,
        metrics: ConsoleMetrics,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.publisher = publisher
        self.metrics = metrics
        self.clock = clock

    def claim(self, event_id: str, agent: str) -> WorkItem:
        """Hide the item from other agents for the claim time."""
        return self.store.claim(event_id, agent, self.clock(), self.settings.claim_ttl_s)

    def resolve(self, event_id: str, agent: str, department: str, label: str | None, note: str | None) -> Resolution:
        """Decide once and publish; raises ``AlreadyResolvedError`` (with the winner) or ``ClaimedError``.

        ``department`` is a department, or ``not_banking`` (a correction to triage, nothing routed).
        """
        started = time.perf_counter()
        item = self.store.get(event_id)
        routed = RoutedEvent.model_validate(item.routed)
        target = TRIAGE if department == NOT_BANKING else department
        chosen = choose_label(target, label, suggestions(routed), routed)
        resolution = self.store.resolve(item, Decision(target, chosen, note, agent), self.clock())
        self._publish(routed, resolution)
        self.metrics.resolutions.labels(outcome=resolution.outcome, department=resolution.department).inc()
        self.metrics.resolve_seconds.observe(time.perf_counter() - started)
        logger.info("item %s resolved by %s to %s (%s)", event_id, agent, resolution.department, resolution.outcome)
        return resolution

    def put_back(self, event_id: str, routed: RoutedEvent | None, note: str | None, by: str) -> WorkItem:
        """Queue an event a department sent back, with reason ``returned``."""
        item = self.store.put_back(routed, event_id, note, by, self.clock())
        self.metrics.returns.inc()
        logger.info("item %s returned by %s", event_id, by)
        return item

    def _publish(self, routed: RoutedEvent, resolution: Resolution) -> bool:
        try:
            self.publisher.publish(outgoing_records(self.settings, routed, resolution))
        except KafkaError as exc:
            self.metrics.publish_failures.inc()
            logger.warning(
                "decision on %s not published yet (%s); it will be retried", resolution.event_id, type(exc).__name__
            )
            return False
        resolution.published_at = self.clock()
        self.store.mark_published(resolution.id, resolution.published_at)
        return True

    def publish_pending(self) -> int:
        """Publish decisions whose first publish failed or was cut short; returns how many went out."""
        older_than = self.clock() - timedelta(seconds=REPUBLISH_AFTER_S)
        sent = 0
        for resolution in self.store.unpublished(older_than):
            routed = RoutedEvent.model_validate(self.store.get(resolution.event_id).routed)
            if not self._publish(routed, resolution):
                break
            sent += 1
        return sent

    def refresh_gauges(self) -> None:
        """Read the queue's figures into the gauges."""
        self.metrics.show(self.store.stats(self.clock(), self.settings.stats_window_s))
