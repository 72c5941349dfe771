"""Kafka around the forecaster: keep its series current from ``loans.created``; publish to ``loans.forecast``."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from pydantic import ValidationError

from schemas.common import validation_error_fields
from schemas.loans import ForecastEvent, LoanRecord
from streaming.consume_loop import ConsumeLoop
from streaming.group_reader import TopicReader
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from streaming.worker import BackgroundWorker
from training.forecast.live_accuracy import record_accuracy
from training.forecast.serving import ForecastService
from training.metrics import TrainerMetrics

logger = logging.getLogger(__name__)

RETRY_S = 5.0
GAUGE_HORIZONS = (1, 7)
"""Days ahead exported as gauges (plus the last day of the forecast); the full forecast is on the topic."""


def record_forecast(metrics: TrainerMetrics, event: ForecastEvent) -> None:
    """Export a few points of ``event`` as ``ticket_trainer_loan_forecast`` gauges."""
    horizons = {h for h in GAUGE_HORIZONS if h <= len(event.points)} | {len(event.points)}
    for horizon in sorted(horizons):
        point = event.points[horizon - 1]
        for bound, value in (("forecast", point.forecast), ("lower", point.lower), ("upper", point.upper)):
            metrics.forecast.labels(series=event.value, horizon_days=str(horizon), bound=bound).set(value)


class LoansConsumer(BackgroundWorker):
    """Reads every loan event of the topic without a group, from the start of what the broker retains.

    The forecaster's series lives in memory, so each start re-reads the retained topic: after a
    restart the series is as current as before, with no committed offset that could skip loans.
    """

    name = "loans-consumer"

    def __init__(
        self, kafka: KafkaSettings, topic: str, source: Callable[[], ForecastService | None], metrics: TrainerMetrics
    ) -> None:
        super().__init__()
        self._kafka = kafka
        self._topic = topic
        self._source = source
        self._metrics = metrics
        self._loop: ConsumeLoop[TopicReader, ConsumerRecord] = ConsumeLoop(
            "loans consumer", self._connect, self._consume, stop=self._stop, log=logger
        )

    def run(self) -> None:
        """Connect (with backoff), read until stopped, reconnect after broker errors."""
        self._loop.run()

    def _connect(self) -> TopicReader:
        consumer = KafkaConsumer(self._topic, **consumer_kwargs(self._kafka, None, max_poll_records=1000))
        return TopicReader(consumer, in_group=False)

    def _consume(self, reader: TopicReader, records: list[ConsumerRecord]) -> None:
        if records:
            self.handle(records)

    def handle(self, records: list[ConsumerRecord]) -> int:
        """Validate and hand over a batch of loan records; returns how many the forecaster used.

        A record that fails validation, or whose handling raises, is refused (logged with its position,
        counted) and the batch goes on; only broker errors reach :meth:`run`, which reconnects.
        """
        loans: list[LoanRecord] = []
        for r in records:
            try:
                loans.append(LoanRecord.model_validate_json(r.value or b""))
            except ValidationError as exc:
                self._metrics.loans_received.labels(outcome="invalid").inc()
                where = (r.topic, r.partition, r.offset)
                logger.warning("invalid loan event at %s[%d]@%d: %s", *where, validation_error_fields(exc))
            except Exception as exc:  # noqa: BLE001 - the per-record policy
                self._metrics.loans_received.labels(outcome="internal_error").inc()
                logger.error("loan event at %s[%d]@%d refused: %s", r.topic, r.partition, r.offset, type(exc).__name__)
        source = self._source()
        if source is None or not loans:
            if loans:
                self._metrics.loans_received.labels(outcome="no_model").inc(len(loans))
            return 0
        refused = 0
        try:
            used = source.add_loans(loans)
        except Exception as exc:  # noqa: BLE001 - the per-record policy: find the loans that fail, keep the rest
            logger.error("adding %d loans failed (%s); adding them one by one", len(loans), type(exc).__name__)
            outcomes = [self._add_one(source, loan) for loan in loans]
            used, refused = sum(n for n in outcomes if n), outcomes.count(None)
        record_accuracy(self._metrics, source)
        self._metrics.loans_received.labels(outcome="used").inc(used)
        if len(loans) > used + refused:
            self._metrics.loans_received.labels(outcome="ignored").inc(len(loans) - used - refused)
        return used

    def _add_one(self, source: ForecastService, loan: LoanRecord) -> int | None:
        """How many of this one loan the forecaster used (0 or 1), or None when adding it raised."""
        try:
            return source.add_loans([loan])
        except Exception as exc:  # noqa: BLE001 - this loan is refused, counted and logged
            self._metrics.loans_received.labels(outcome="internal_error").inc()
            logger.error("loan %s refused: %s", loan.loan_id, type(exc).__name__)
            return None


class ForecastPublisher(BackgroundWorker):
    """Publishes the next ``days`` days' forecast to the forecast topic now and every ``interval_s``."""

    name = "forecast-publisher"

    def __init__(
        self,
        kafka: KafkaSettings,
        topic: str,
        source: Callable[[], ForecastService | None],
        metrics: TrainerMetrics,
        days: int,
        interval_s: float,
    ) -> None:
        super().__init__()
        self._kafka = kafka
        self._topic = topic
        self._source = source
        self._metrics = metrics
        self._days = days
        self._interval_s = interval_s
        self._producer: KafkaProducer | None = None

    def run(self) -> None:
        self._metrics.forecast_publish_interval.set(self._interval_s)
        self._metrics.forecast_last_published.set_to_current_time()
        try:
            while True:
                # A forecast that could not go out (bundle still loading, broker away) is retried soon.
                wait = self._interval_s if self.publish_once() else min(self._interval_s, RETRY_S)
                if self._stop.wait(wait):
                    return
        finally:
            if self._producer is not None:
                self._producer.close(timeout=5)

    def publish_once(self) -> bool:
        """Publish one forecast; False (and a log line) when there is no model or the broker refused it."""
        source = self._source()
        if source is None:
            return False
        try:
            event = source.forecast_event(min(self._days, source.horizon))
        except Exception as exc:  # noqa: BLE001 - the publisher lives on and tries again soon
            logger.error("could not compute the loan forecast: %s", type(exc).__name__)
            return False
        record_forecast(self._metrics, event)
        try:
            if self._producer is None:
                self._producer = KafkaProducer(**self._kafka.client_kwargs(), acks="all", max_block_ms=10_000)
            future = self._producer.send(
                self._topic, key=event.model_version.encode(), value=event.model_dump_json().encode()
            )
            future.get(timeout=10)
        except KafkaError as exc:
            logger.warning("could not publish the loan forecast: %s: %s", type(exc).__name__, exc)
            return False
        self._metrics.forecasts_published.inc()
        self._metrics.forecast_last_published.set_to_current_time()
        logger.info(
            "published a %d-day loan forecast (model %s) to %s", len(event.points), event.model_version, self._topic
        )
        return True
