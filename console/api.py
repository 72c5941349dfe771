"""The console's HTTP side (FastAPI): the page, the JSON API for agents and department tools, probes, metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry

from console.desk import Desk
from console.identity import Identity
from console.store import AlreadyResolvedError, ClaimedError, NotFoundError
from console.views import CHOICES, ItemList, ItemView, Me, ResolutionView, ResolveRequest, ReturnRequest, StatsView
from core.probes import probes_router
from schemas.common import Department

STATIC = Path(__file__).parent / "static"
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    # Only this origin's script and styles run on the page; it cannot be framed by another site.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
}
MAX_BODY_BYTES = 2_000_000
"""Larger request bodies are refused with 413 before they are read (a routed event is well below)."""


@dataclass
class ConsoleApi:
    """Everything the endpoints use; built by ``ticket-console serve`` or by a test."""

    desk: Desk
    identity: Identity
    auth: str
    metrics_registry: CollectorRegistry
    alive: Callable[[], bool]
    ready: Callable[[], bool]


def current_agent(request: Request) -> str:
    """The caller's agent id, by the identity scheme the application was built with; 401 without one."""
    found = request.app.state.identity.agent(request.headers)
    if found is None:
        raise HTTPException(401, "no agent identity", headers={"WWW-Authenticate": "Bearer"})
    return str(found)


Agent = Annotated[str, Depends(current_agent)]


def _conflict(detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=409)


def create_app(api: ConsoleApi) -> FastAPI:
    """A FastAPI application over ``api``; no I/O happens until a request arrives."""
    app = FastAPI(
        title="ticket-console",
        description="The triage queue: agents route what the model was unsure of; every decision feeds the model.",
        version="1",
    )
    app.state.identity = api.identity
    desk = api.desk

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        return await call_next(request)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.include_router(probes_router(api.metrics_registry, api.alive, api.ready, in_schema=False))

    @app.get("/api/me")
    def me(who: Agent) -> Me:
        """The caller's agent id and the departments an item can be resolved to."""
        return Me(agent=who, choices=list(CHOICES), auth=api.auth, claim_ttl_s=desk.settings.claim_ttl_s)

    @app.get("/api/items")
    def items(
        who: Agent,
        status: Literal["open", "resolved"] = "open",
        department: Department | None = Query(None, description="The model's top suggestion."),  # noqa: B008
        priority: Literal["urgent", "normal"] | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> ItemList:
        """The queue: urgent first, then oldest; open items another agent has claimed are left out."""
        now = desk.clock()
        rows = desk.store.list_items(who, now, status, department, priority, limit)
        views = [ItemView.of(row, now) for row in rows]
        return ItemList(items=views, count=len(views))

    @app.get("/api/items/{event_id}", responses={404: {"description": "No such item."}})
    def item(event_id: str, who: Agent) -> ItemView:
        """One item, with its latest decision when it has one."""
        try:
            row = desk.store.get(event_id)
        except NotFoundError:
            raise HTTPException(404, f"no item {event_id[:128]}") from None
        resolution = desk.store.latest_resolution(event_id) if row.status == "resolved" else None
        return ItemView.of(row, desk.clock(), resolution)

    @app.post("/api/items/{event_id}/claim", responses={404: {}, 409: {"description": "Claimed or resolved."}})
    def claim(event_id: str, who: Agent) -> Any:
        """Hide the item from other agents for the claim time (renewable by the same agent)."""
        try:
            row = desk.claim(event_id, who)
        except NotFoundError:
            raise HTTPException(404, f"no item {event_id[:128]}") from None
        except ClaimedError as exc:
            return _conflict(str(exc), claimed_by=exc.agent, claimed_until=exc.until.isoformat())
        except AlreadyResolvedError as exc:
            return _conflict(str(exc), resolution=ResolutionView.of(exc.resolution).model_dump(mode="json"))
        return ItemView.of(row, desk.clock())

    @app.post(
        "/api/items/{event_id}/resolve",
        responses={404: {}, 409: {"description": "Already resolved (the winning decision is returned) or claimed."}},
    )
    def resolve(event_id: str, body: ResolveRequest, who: Agent) -> Any:
        """Route the item to a department (or mark it not about banking) and send the correction, once."""
        try:
            resolution = desk.resolve(event_id, who, body.department, body.label, body.note)
        except NotFoundError:
            raise HTTPException(404, f"no item {event_id[:128]}") from None
        except AlreadyResolvedError as exc:
            return _conflict(str(exc), resolution=ResolutionView.of(exc.resolution).model_dump(mode="json"))
        except ClaimedError as exc:
            return _conflict(str(exc), claimed_by=exc.agent, claimed_until=exc.until.isoformat())
        return ResolutionView.of(resolution)

    @app.post("/api/returns", status_code=201, responses={404: {"description": "Unknown event, no routed_event."}})
    def returns(body: ReturnRequest, who: Agent) -> ItemView:
        """A department sends a misrouted event back: it is queued again with reason ``returned``."""
        try:
            row = desk.put_back(body.event_id, body.routed_event, body.note, who)
        except NotFoundError:
            raise HTTPException(404, f"no item {body.event_id}: send the routed_event with it") from None
        return ItemView.of(row, desk.clock())

    @app.get("/api/stats")
    def stats(who: Agent) -> StatsView:
        """Open items, the oldest one's age, decisions by outcome and agreement with the model in the window."""
        return StatsView.of(desk.store.stats(desk.clock(), desk.settings.stats_window_s))

    return app
