"""Assembles the trainer service from its settings: store, consumers, scheduler, jobs, forecaster and HTTP."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from classifier.registry import ModelRegistry
from core.errors import TicketRouterError
from core.http_thread import serve_in_thread
from training.api import TrainerApi, create_app
from training.auth import TOKEN_ENV
from training.feedback.consumer import FeedbackConsumer
from training.feedback.store import FeedbackStore
from training.forecast.serving import ForecastService
from training.forecast.stream import ForecastPublisher, LoansConsumer
from training.jobs import Job, JobRunner
from training.metrics import TrainerMetrics
from training.refresh import Refresher
from training.scheduler import RefreshScheduler
from training.settings import TrainerSettings

if TYPE_CHECKING:
    import uvicorn

logger = logging.getLogger(__name__)


RefresherFactory = Callable[[TrainerSettings, FeedbackStore, TrainerMetrics], Refresher]
ForecastLoader = Callable[[TrainerSettings], ForecastService | None]


def default_refresher(settings: TrainerSettings, store: FeedbackStore, metrics: TrainerMetrics) -> Refresher:
    """The real refresher: the classifier's training code (TensorFlow is imported on first use)."""
    from training.challenger import build_refresher

    return build_refresher(settings, store, metrics)


def default_forecaster(settings: TrainerSettings) -> ForecastService | None:
    """The first configured forecast bundle (hashes verified), or None when none is configured."""
    if settings.forecast_bundle is None:
        return None
    # One TensorFlow thread: forecasts are small and the trainer shares its cores with training.
    return ForecastService.from_directory(settings.forecast_bundle, threads=1)


class TrainerService:
    """One ``ticket-trainer serve`` process: ``start()``, then ``stop()`` (idempotent) on SIGTERM."""

    def __init__(
        self,
        settings: TrainerSettings,
        registry: CollectorRegistry | None = None,
        refresher_factory: RefresherFactory = default_refresher,
        forecast_loader: ForecastLoader = default_forecaster,
    ) -> None:
        self.settings = settings
        self.metrics_registry = registry or CollectorRegistry()
        self.metrics = TrainerMetrics(self.metrics_registry)
        self.models = ModelRegistry(settings.registry)
        self.store = FeedbackStore(settings.feedback_store)
        self.jobs = JobRunner()
        self._refresher_factory = refresher_factory
        self._forecast_loader = forecast_loader
        self._refresher: Refresher | None = None
        self._refresher_lock = threading.Lock()
        self._forecaster: ForecastService | None = None
        self.feedback = FeedbackConsumer(
            settings,
            settings.feedback_topic,
            settings.group_id,
            self.store,
            self.metrics,
            fetch_timeout_s=settings.fetch_timeout_s,
        )
        self.scheduler = RefreshScheduler(
            self.jobs,
            self.start_refresh,
            self.store.count_new,
            settings.min_new_corrections,
            settings.refresh_interval_s,
            settings.check_interval_s,
        )
        self.loans = LoansConsumer(settings, settings.loans_topic, self.forecaster, self.metrics)
        self.publisher = ForecastPublisher(
            settings,
            settings.forecast_topic,
            self.forecaster,
            self.metrics,
            settings.forecast_days,
            settings.forecast_publish_interval_s,
        )
        self.api = TrainerApi(
            registry=self.models,
            jobs=self.jobs,
            start_refresh=self.start_refresh,
            metrics_registry=self.metrics_registry,
            alive=self.alive,
            ready=self.ready,
            forecaster=self.forecaster,
            api_token=settings.api_token,
        )
        self._stack = contextlib.ExitStack()
        self._server: uvicorn.Server | None = None

    def forecaster(self) -> ForecastService | None:
        """The loaded forecast source (None until loaded, or when none is configured)."""
        return self._forecaster

    def alive(self) -> bool:
        """The feedback loop turns and no background thread has died."""
        workers = (self.feedback, self.scheduler, self.loans, self.publisher)
        return self.feedback.alive() and all(worker.healthy() for worker in workers)

    def ready(self) -> bool:
        """Corrections can be stored and the feedback consumer is connected."""
        return self.feedback.ready()

    def refresher(self) -> Refresher:
        """The refresher, built on first use (it brings in the training code)."""
        with self._refresher_lock:
            if self._refresher is None:
                self._refresher = self._refresher_factory(self.settings, self.store, self.metrics)
            return self._refresher

    def start_refresh(self, trigger: str) -> Job:
        """Start a refresh job; raises :class:`training.jobs.JobBusyError` when one is running."""
        return self.jobs.submit("refresh", lambda job_id: self.refresher().run(job_id), trigger=trigger)

    def start(self) -> None:
        """Open the store, start the background threads and the HTTP server."""
        if self.settings.api_token is None:
            logger.warning("%s is not set: POST /retrain and the other state-changing endpoints answer 503", TOKEN_ENV)
        self.store.open()
        self._stack.callback(self.store.close)
        current = self.models.current_or_none()
        if current is not None:
            self.metrics.current_model.labels(version=current).set(1)
        for worker in (self.feedback, self.scheduler):
            worker.start()
            self._stack.callback(worker.stop)
        if self.settings.forecast_bundle is not None:
            threading.Thread(target=self._load_forecaster, name="forecast-load", daemon=True).start()
            self.loans.start()
            self._stack.callback(self.loans.stop)
            if self.settings.forecast_publish_interval_s > 0:
                self.publisher.start()
                self._stack.callback(self.publisher.stop)
        self._start_http()

    def _load_forecaster(self) -> None:
        try:
            self._forecaster = self._forecast_loader(self.settings)
        except TicketRouterError as exc:
            logger.error("forecasts are off: %s", exc)
            return
        except Exception:  # noqa: BLE001 - the service keeps running; /forecast answers 503 and the log says why
            logger.exception("could not load the forecast bundle %s", self.settings.forecast_bundle)
            return
        logger.info("forecast bundle %s loaded", self.settings.forecast_bundle)

    def _start_http(self) -> None:
        s = self.settings
        self._server, _ = serve_in_thread(create_app(self.api), s.http_host, s.http_port, self._stack, "the HTTP API")
        logger.info("trainer HTTP API on %s:%d", s.http_host, s.http_port)

    def stop(self) -> None:
        """Stop HTTP and consumers, let a running refresh finish (bounded), close the store (idempotent)."""
        self.scheduler.stop()
        if self._server is not None:
            self._server.should_exit = True
        if not self.jobs.wait(self.settings.shutdown_timeout_s):
            logger.warning("a refresh is still running; exiting without waiting for it")
        self._stack.close()
