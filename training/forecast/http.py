"""``GET /forecast?days=N`` as a FastAPI router over a :class:`ForecastService` (mounted by the trainer's app)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError

from schemas.loans import ForecastEvent
from training.forecast.serving import ForecastService

DEFAULT_DAYS = 14


def forecast_router(get_service: Callable[[], ForecastService | None]) -> APIRouter:
    """A router whose endpoint asks ``get_service()`` for the current service (None: 503, not loaded yet)."""
    router = APIRouter(tags=["forecast"])

    # A plain ``def``: FastAPI runs it in its thread pool, so a model call never blocks the event loop.
    @router.get(
        "/forecast",
        response_model=ForecastEvent,
        responses={503: {"description": "No forecast bundle is loaded (yet)"}},
    )
    def get_forecast(days: Annotated[int, Query(ge=1, le=365)] = DEFAULT_DAYS) -> ForecastEvent:
        """The next ``days`` days of loan volume with prediction intervals."""
        service = get_service()
        if service is None:
            raise HTTPException(status_code=503, detail="no forecast bundle is loaded")
        if days > service.horizon:  # the model's horizon is tighter than the query's documented bound
            message = f"days must be at most {service.horizon} for this model"
            raise RequestValidationError(
                [{"type": "less_than_equal", "loc": ("query", "days"), "msg": message, "input": days}]
            )
        return service.forecast_event(days)

    return router
