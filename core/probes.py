"""The endpoints every service answers: /healthz (alive), /readyz (ready) and /metrics (Prometheus)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

PLAIN_TEXT = {"content": {"text/plain": {"schema": {"type": "string"}}}}


def probes_router(
    registry: CollectorRegistry,
    alive: Callable[[], bool],
    ready: Callable[[], bool],
    *,
    in_schema: bool = True,
) -> APIRouter:
    """The three endpoints over a metrics registry and two probes; ``in_schema``: listed in the OpenAPI document.

    ``/healthz``: 200 ``ok`` while ``alive()``, else 503 ``stalled`` (restart me). ``/readyz``: 200 ``ok`` while
    ``ready()``, else 503 ``not ready`` (send me no work). ``/metrics``: the registry in Prometheus' text format.
    """
    router = APIRouter(include_in_schema=in_schema)

    @router.get("/healthz", response_class=PlainTextResponse, responses={503: {"description": "Stalled", **PLAIN_TEXT}})
    def healthz() -> PlainTextResponse:
        return _answer(alive(), "stalled\n")

    @router.get(
        "/readyz", response_class=PlainTextResponse, responses={503: {"description": "Not ready", **PLAIN_TEXT}}
    )
    def readyz() -> PlainTextResponse:
        return _answer(ready(), "not ready\n")

    @router.get(
        "/metrics", response_class=Response, responses={200: {"description": "Prometheus text format", **PLAIN_TEXT}}
    )
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def _answer(ok: bool, failing: str) -> PlainTextResponse:
    return PlainTextResponse("ok\n" if ok else failing, status_code=200 if ok else 503)
