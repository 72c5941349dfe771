"""The trainer's HTTP API with fakes: probes, metrics, registry listing, retrain jobs, forecasts."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from classifier.registry import ModelRegistry
from tests.unit.trainer_fakes import BASE_RULES, forecast_service, write_bundle
from training.api import TrainerApi, create_app
from training.forecast.serving import ForecastService
from training.jobs import Job, JobRunner
from training.metrics import TrainerMetrics

TOKEN = "unit-test-token-0123456789abcdef"


class Harness:
    def __init__(self, tmp_path: Path, forecaster: ForecastService | None = None, token: str | None = TOKEN) -> None:
        self.registry = ModelRegistry(tmp_path / "registry")
        self.jobs = JobRunner()
        self.gate = threading.Event()
        self.metrics_registry = CollectorRegistry()
        self.metrics = TrainerMetrics(self.metrics_registry)
        self.is_ready = False
        self.api = TrainerApi(
            registry=self.registry,
            jobs=self.jobs,
            start_refresh=self.start_refresh,
            metrics_registry=self.metrics_registry,
            alive=lambda: True,
            ready=lambda: self.is_ready,
            forecaster=lambda: forecaster,
            api_token=None if token is None else SecretStr(token),
        )
        self.app = create_app(self.api)
        self.client = TestClient(self.app, headers={"Authorization": f"Bearer {TOKEN}"})
        self.anonymous = TestClient(self.app)

    def start_refresh(self, trigger: str) -> Job:
        def work(job_id: str) -> dict[str, Any]:
            if not self.gate.wait(10):
                raise RuntimeError("gate never opened")
            return {"promoted": True, "job": job_id}

        return self.jobs.submit("refresh", work, trigger)


def test_probes_and_metrics(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    assert h.client.get("/healthz").status_code == 200
    assert h.client.get("/readyz").status_code == 503
    h.is_ready = True
    assert h.client.get("/readyz").status_code == 200
    h.metrics.corrections.labels(outcome="new").inc(3)
    body = h.client.get("/metrics")
    assert body.status_code == 200 and body.headers["content-type"].startswith("text/plain")
    assert 'ticket_trainer_corrections_received_total{outcome="new"} 3.0' in body.text


def test_models_lists_versions_and_marks_current(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    assert h.client.get("/models").json()["versions"] == []
    write_bundle(h.registry.root / "v1", "v1", BASE_RULES)
    write_bundle(h.registry.root / "v2", "v2", BASE_RULES)
    h.registry.set_current("v1")
    body = h.client.get("/models").json()
    assert body["current"] == "v1" and body["history"] == ["v1"]
    assert [(v["version"], v["current"]) for v in body["versions"]] == [("v1", True), ("v2", False)]
    assert body["versions"][0]["validation_metrics"] == {"accuracy": 0.5}


def test_retrain_runs_one_job_at_a_time(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    first = h.client.post("/retrain")
    assert first.status_code == 202
    job_id = first.json()["job_id"]
    busy = h.client.post("/retrain")
    assert busy.status_code == 409 and busy.json()["job_id"] == job_id
    assert h.client.get(f"/jobs/{job_id}").json()["state"] == "running"
    h.gate.set()
    assert h.jobs.wait(10)
    done = h.client.get(f"/jobs/{job_id}").json()
    assert done["state"] == "succeeded" and done["result"] == {"promoted": True, "job": job_id}
    assert done["trigger"] == "api" and done["finished_at"]
    assert h.client.post("/retrain").status_code == 202, "a new job once the first finished"
    assert h.jobs.wait(10)


def test_failed_job_reports_its_error(tmp_path: Path) -> None:
    h = Harness(tmp_path)

    def boom(_job_id: str) -> dict[str, Any]:
        raise ValueError("no data")

    job = h.jobs.submit("refresh", boom)
    assert h.jobs.wait(10)
    body = h.client.get(f"/jobs/{job.id}").json()
    assert body["state"] == "failed" and body["error"] == "ValueError: no data"


def test_unknown_job_is_404(tmp_path: Path) -> None:
    assert Harness(tmp_path).client.get("/jobs/nope").status_code == 404


def test_forecast_returns_points_with_intervals(tmp_path: Path) -> None:
    h = Harness(tmp_path, forecast_service(tmp_path))
    body = h.client.get("/forecast", params={"days": 3}).json()
    assert [p["date"] for p in body["points"]] == ["2024-05-20", "2024-05-21", "2024-05-22"]
    assert set(body["points"][0]) == {"date", "forecast", "lower", "upper"}
    assert all(p["lower"] <= p["forecast"] <= p["upper"] for p in body["points"])
    assert body["model_version"] == "fake-1" and body["interval_level"] == 0.8


@pytest.mark.parametrize("days", ["0", "-1", "29", "366", "abc", "1.5"])
def test_forecast_rejects_bad_days(tmp_path: Path, days: str) -> None:
    assert Harness(tmp_path, forecast_service(tmp_path)).client.get(f"/forecast?days={days}").status_code == 422


def test_forecast_without_a_bundle_is_503(tmp_path: Path) -> None:
    response = Harness(tmp_path).client.get("/forecast?days=7")
    assert response.status_code == 503 and "forecast" in response.json()["detail"]
