"""The router's HTTP endpoints: /metrics, /healthz (alive) and /readyz (model loaded, partitions assigned)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from prometheus_client import CollectorRegistry

from core.http_thread import serve_in_thread
from core.probes import probes_router

logger = logging.getLogger(__name__)


def create_app(registry: CollectorRegistry, alive: Callable[[], bool], ready: Callable[[], bool]) -> FastAPI:
    """The shared probes and metrics, and nothing else (no OpenAPI document; any other path is a plain 404)."""
    app = FastAPI(title="ticket-router", openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(probes_router(registry, alive, ready, in_schema=False))

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("not found\n", status_code=404)

    return app


class HealthServer:
    """Serves the registry's metrics and two probes whose answers come from callables, from :meth:`start`."""

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        alive: Callable[[], bool],
        ready: Callable[[], bool],
    ) -> None:
        self._host = host
        self.port = port
        """The port asked for; once started, the bound one (useful when 0 asked for a free one)."""
        self._app = create_app(registry, alive, ready)
        self._stack = contextlib.ExitStack()

    def start(self) -> None:
        """Bind the port and serve in a daemon thread; :class:`ConfigError` when the port cannot be bound."""
        _, self.port = serve_in_thread(self._app, self._host, self.port, self._stack, "the router's HTTP endpoints")
        logger.info("metrics and health endpoints on port %d", self.port)

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        self._stack.close()
