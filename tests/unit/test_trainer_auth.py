"""The trainer's bearer token: state-changing endpoints refuse without it (401) or with a wrong one (403)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from tests.unit.test_trainer_app import TOKEN, Harness
from training.auth import SCHEME_NAME, token_matches
from training.settings import TrainerSettings

READ_ONLY = ("GET", "HEAD")


def state_changing(h: Harness) -> list[tuple[str, str]]:
    """(method, path) of every route that is not read-only, path parameters filled in."""
    found = []
    for route in h.app.routes:
        for method in sorted(set(getattr(route, "methods", None) or ()) - set(READ_ONLY)):
            found.append((method, re.sub(r"\{[^}]+\}", "x", route.path)))  # type: ignore[attr-defined]
    return found


def test_every_state_changing_endpoint_is_guarded(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    endpoints = state_changing(h)
    assert ("POST", "/retrain") in endpoints
    for method, path in endpoints:
        missing = h.anonymous.request(method, path)
        assert missing.status_code == 401, (method, path)
        assert missing.headers["www-authenticate"] == "Bearer"
        basic = h.anonymous.request(method, path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert basic.status_code == 401 and basic.headers["www-authenticate"] == "Bearer"
        wrong = h.anonymous.request(method, path, headers={"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status_code == 403, (method, path)
        assert "www-authenticate" not in wrong.headers
    assert not h.jobs.running(), "no refused request started a job"


def test_the_right_token_is_accepted(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    accepted = h.anonymous.post("/retrain", headers={"Authorization": f"bearer {TOKEN}"})
    assert accepted.status_code == 202, "the scheme name is case-insensitive"
    h.gate.set()
    assert h.jobs.wait(10)


def test_read_only_endpoints_and_probes_stay_open(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    for path, expected in (("/healthz", 200), ("/readyz", 503), ("/metrics", 200), ("/models", 200)):
        assert h.anonymous.get(path).status_code == expected, path
    assert h.anonymous.get("/jobs/nope").status_code == 404
    assert h.anonymous.get("/forecast?days=3").status_code == 503, "no forecaster in this harness"
    assert h.anonymous.get("/openapi.json").status_code == 200


def test_without_a_configured_token_state_changing_endpoints_are_off(tmp_path: Path) -> None:
    h = Harness(tmp_path, token=None)
    for method, path in state_changing(h):
        for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}):
            response = h.anonymous.request(method, path, headers=headers)
            assert response.status_code == 503, (method, path)
            assert "TICKET_TRAINER_API_TOKEN" in response.json()["detail"]
    assert h.anonymous.get("/models").status_code == 200


def test_openapi_documents_the_bearer_scheme(tmp_path: Path) -> None:
    spec = Harness(tmp_path).anonymous.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"][SCHEME_NAME]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    retrain = spec["paths"]["/retrain"]["post"]
    assert retrain["security"] == [{SCHEME_NAME: []}]
    assert {"401", "403", "503"} <= set(retrain["responses"])
    assert "security" not in spec["paths"]["/models"]["get"]
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_the_token_is_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    h = Harness(tmp_path)
    h.anonymous.post("/retrain", headers={"Authorization": f"Bearer {TOKEN}"})
    h.anonymous.post("/retrain", headers={"Authorization": "Bearer wrong-token-wrong-token"})
    h.gate.set()
    assert h.jobs.wait(10)
    assert TOKEN not in caplog.text and "wrong-token" not in caplog.text
    settings_text = repr(TrainerSettings(api_token=TOKEN)) + str(TrainerSettings(api_token=TOKEN))
    assert TOKEN not in settings_text


def test_token_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKET_TRAINER_API_TOKEN", TOKEN)
    token = TrainerSettings().api_token
    assert isinstance(token, SecretStr) and token.get_secret_value() == TOKEN
    monkeypatch.setenv("TICKET_TRAINER_API_TOKEN", "  ")
    assert TrainerSettings().api_token is None, "blank is unset"
    monkeypatch.setenv("TICKET_TRAINER_API_TOKEN", "short")
    with pytest.raises(ValidationError, match="at least 16 characters"):
        TrainerSettings()


def test_token_comparison() -> None:
    secret = SecretStr(TOKEN)
    assert token_matches(secret, TOKEN)
    assert not token_matches(secret, TOKEN[:-1]) and not token_matches(secret, TOKEN + "0")
    assert not token_matches(secret, "é" * 32), "non-ASCII input is compared, not an error"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300))
def test_any_authorization_header_is_refused_cleanly(tmp_path: Path, header: str) -> None:
    h = Harness(tmp_path)
    response = h.anonymous.post("/retrain", headers={"Authorization": header})
    assert response.status_code in (401, 403), (header, response.status_code)
    assert not h.jobs.running()


def test_refusals_match_the_openapi_document(tmp_path: Path) -> None:
    from tests.unit.test_trainer_openapi import _documented, _resolve

    for token in (TOKEN, None):
        h = Harness(tmp_path, token=token)
        spec = h.anonymous.get("/openapi.json").json()
        for headers in ({}, {"Authorization": "Bearer not-the-token"}):
            refused = h.anonymous.post("/retrain", headers=headers)
            schema = _resolve(spec, _documented(spec, "post", "/retrain", refused))
            assert set(schema["required"]) <= set(refused.json()), refused.status_code
