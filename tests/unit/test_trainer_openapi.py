"""Every answer the trainer's API gives is described by its OpenAPI document: status, media type, body shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.unit.forecast_fakes import weekly_series, write_fake_bundle
from tests.unit.test_trainer_app import Harness
from training.forecast.serving import ForecastService


def _documented(spec: dict[str, Any], method: str, path: str, response: httpx.Response) -> dict[str, Any]:
    """The OpenAPI entry of this answer; fails naming what is missing."""
    answers = spec["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in answers, f"{method.upper()} {path} answered {status}, documented: {sorted(answers)}"
    media = response.headers["content-type"].split(";")[0]
    content = answers[status].get("content", {})
    assert media in content, f"{method.upper()} {path} {status} is {media}, documented: {sorted(content)}"
    return dict(content[media].get("schema", {}))


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return dict(spec["components"]["schemas"][ref.rsplit("/", 1)[1]]) if ref else schema


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    forecaster = ForecastService.from_directory(write_fake_bundle(tmp_path / "b", weekly_series()))
    return Harness(tmp_path, forecaster)


@pytest.mark.parametrize(
    ("method", "url", "path"),
    [
        ("get", "/healthz", "/healthz"),
        ("get", "/readyz", "/readyz"),
        ("get", "/metrics", "/metrics"),
        ("get", "/models", "/models"),
        ("get", "/jobs/nope", "/jobs/{job_id}"),
        ("get", "/forecast?days=5", "/forecast"),
        ("get", "/forecast?days=364", "/forecast"),
        ("get", "/forecast?days=0", "/forecast"),
    ],
)
def test_answers_match_the_document(harness: Harness, method: str, url: str, path: str) -> None:
    spec = harness.client.get("/openapi.json").json()
    response = harness.client.request(method, url)
    schema = _resolve(spec, _documented(spec, method, path, response))
    if schema.get("type") == "object" or "properties" in schema:
        body = response.json()
        assert set(schema.get("required", [])) <= set(body), f"{url}: {body} lacks {schema.get('required')}"
        if path == "/forecast" and response.status_code == 422:
            assert isinstance(body["detail"], list), "422 bodies are validation-error lists, as documented"


def test_retrain_and_its_conflict_are_documented(harness: Harness) -> None:
    spec = harness.client.get("/openapi.json").json()
    started = harness.client.post("/retrain")
    assert set(_resolve(spec, _documented(spec, "post", "/retrain", started))["required"]) <= set(started.json())
    busy = harness.client.post("/retrain")
    assert busy.status_code == 409
    assert set(_resolve(spec, _documented(spec, "post", "/retrain", busy))["required"]) <= set(busy.json())
    harness.gate.set()
    assert harness.jobs.wait(10)
