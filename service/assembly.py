"""Assembles the router from its settings: metrics, HTTP endpoints, model watcher and the loop."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from classifier.registry import ModelRegistry, load_classifier
from service.allocator import running_allocator
from service.health import HealthServer
from service.metrics import RouterMetrics
from service.model_watch import ModelWatcher
from service.router import Router
from service.settings import RouterSettings

if TYPE_CHECKING:
    from service.tracing import RouterTracing

logger = logging.getLogger(__name__)


class RouterApp:
    """One router process: build with settings, ``load_model()``, then ``run()`` until stopped."""

    def __init__(self, settings: RouterSettings, registry: CollectorRegistry | None = None) -> None:
        self.settings = settings
        self.registry = registry or CollectorRegistry()
        self.metrics = RouterMetrics(self.registry)
        self.metrics.allocator.labels(allocator=running_allocator()).set(1)
        self.watcher = ModelWatcher(self._resolve_model, load_classifier, self.metrics, settings.reload_interval_s)
        self.tracing: RouterTracing | None = None
        if settings.tracing:
            from service.tracing import RouterTracing

            self.tracing = RouterTracing(settings)
            self.router = Router(settings, self.watcher, self.metrics, self.tracing.clients)
        else:
            self.router = Router(settings, self.watcher, self.metrics)
        self.http = HealthServer(settings.http_host, settings.http_port, self.registry, self.alive, self.router.ready)

    def alive(self) -> bool:
        """The loop turns and the model watcher thread has not died."""
        return self.router.alive() and self.watcher.healthy()

    def _resolve_model(self) -> Path:
        if self.settings.model_path is not None:
            return self.settings.model_path
        return ModelRegistry(self.settings.registry).current_path()

    def load_model(self) -> None:
        """Read the priority file and load the first model; :class:`ConfigError` or :class:`ModelLoadError`
        with the reason when the router cannot serve."""
        from service.decisions import rules_from_settings
        from service.priority import load_priorities

        priorities = load_priorities(self.settings.priority_file)
        self.router.policy = replace(self.router.policy, rules=rules_from_settings(self.settings, priorities))
        self.watcher.load_initial()

    def run(self) -> None:
        """Serve HTTP, watch the registry and route until the router is stopped."""
        with contextlib.ExitStack() as stack:
            self.http.start()
            stack.callback(self.http.stop)
            if self.settings.model_path is None:
                self.watcher.start()
                stack.callback(self.watcher.stop)
            if self.tracing is not None:
                self.tracing.start()
                stack.callback(self.tracing.stop)
            self.router.run()
