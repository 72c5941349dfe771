"""``GET /forecast?days=N`` through FastAPI's TestClient."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from schemas.loans import ForecastEvent
from tests.unit.forecast_fakes import weekly_series, write_fake_bundle
from training.forecast.http import forecast_router
from training.forecast.serving import ForecastService


def _client(service: ForecastService | None) -> TestClient:
    app = FastAPI()
    app.include_router(forecast_router(lambda: service))
    return TestClient(app)


def test_forecast_returns_a_valid_event(tmp_path: Path) -> None:
    service = ForecastService.from_directory(write_fake_bundle(tmp_path / "b", weekly_series()))
    response = _client(service).get("/forecast", params={"days": 5})
    assert response.status_code == 200
    event = ForecastEvent.model_validate_json(response.content)
    assert len(event.points) == 5 and event.model_version == "fake-1"
    assert all(p.lower <= p.forecast <= p.upper for p in event.points)
    assert len(ForecastEvent.model_validate_json(_client(service).get("/forecast").content).points) == 14


def test_bad_days_are_422(tmp_path: Path) -> None:
    client = _client(ForecastService.from_directory(write_fake_bundle(tmp_path / "b", weekly_series())))
    assert client.get("/forecast", params={"days": 0}).status_code == 422
    assert client.get("/forecast", params={"days": "x"}).status_code == 422
    over = client.get("/forecast", params={"days": 29})
    assert over.status_code == 422
    [error] = over.json()["detail"]  # the same shape as every other validation error (HTTPValidationError)
    assert error["loc"] == ["query", "days"] and "at most 28" in error["msg"]


def test_no_bundle_is_503() -> None:
    assert _client(None).get("/forecast").status_code == 503
