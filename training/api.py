"""The trainer's HTTP API (FastAPI): probes, metrics, the model registry, refresh jobs and loan forecasts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, SecretStr

from classifier.registry import ModelRegistry
from core.probes import probes_router
from training.auth import require_token
from training.forecast.http import forecast_router
from training.forecast.serving import ForecastService
from training.jobs import Job, JobBusyError, JobRunner


class Problem(BaseModel):
    """The body of an error answer."""

    detail: str


class JobStarted(BaseModel):
    """The answer to a started refresh."""

    job_id: str
    status_url: str


class JobBusy(Problem):
    """The answer when a refresh is already running."""

    job_id: str


@dataclass
class TrainerApi:
    """Everything the endpoints read or start; built by ``ticket-trainer serve`` or by a test with fakes."""

    registry: ModelRegistry
    jobs: JobRunner
    start_refresh: Callable[[str], Job]
    metrics_registry: CollectorRegistry
    alive: Callable[[], bool]
    ready: Callable[[], bool]
    forecaster: Callable[[], ForecastService | None] = lambda: None
    api_token: SecretStr | None = None
    """Required as a bearer token by every state-changing endpoint; None: those answer 503."""


# Documented answers of a guarded endpoint besides its own.
GUARDED_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No bearer token (the answer carries `WWW-Authenticate: Bearer`)."},
    403: {"model": Problem, "description": "The token is not valid."},
    503: {"model": Problem, "description": "No token is configured on the trainer: state-changing endpoints are off."},
}


def create_app(api: TrainerApi) -> FastAPI:
    """A FastAPI application over ``api``; no I/O happens until a request arrives."""
    app = FastAPI(title="ticket-trainer", description="Classifier refresh and loan forecasts.", version="1")
    # Every endpoint that changes state carries this; the probes, /metrics and the read-only GETs do not.
    guarded = [Depends(require_token(api.api_token))]

    app.include_router(probes_router(api.metrics_registry, api.alive, api.ready))

    @app.get("/models")
    def models() -> dict[str, Any]:
        return api.registry.describe()

    @app.post(
        "/retrain",
        status_code=202,
        response_model=JobStarted,
        dependencies=guarded,
        responses={409: {"model": JobBusy, "description": "A refresh is already running"}, **GUARDED_RESPONSES},
    )
    def retrain() -> JSONResponse:
        try:
            job = api.start_refresh("api")
        except JobBusyError as exc:
            return JSONResponse({"detail": "a refresh is already running", "job_id": exc.running_id}, status_code=409)
        return JSONResponse({"job_id": job.id, "status_url": f"/jobs/{job.id}"}, status_code=202)

    @app.get("/jobs/{job_id}", responses={404: {"model": Problem, "description": "No such job"}})
    def job(job_id: str) -> dict[str, Any]:
        found = api.jobs.get(job_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no job {job_id}")
        return found.as_dict()

    # GET /forecast?days=N: the forecaster's own router (422 on a bad N, 503 until a bundle is loaded).
    app.include_router(forecast_router(api.forecaster))
    return app
