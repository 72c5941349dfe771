"""The JSON API and the page through FastAPI's TestClient: status codes, identity, OpenAPI, fuzzed inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.api import ConsoleApi, create_app
from console.desk import Desk
from console.identity import ProxyHeader
from console.store import Incoming
from console.views import CHOICES
from schemas.outputs import SourcePosition
from tests.console_fakes import RecordingPublisher, make_desk, triage_event

ALICE = {"X-Forwarded-User": "alice"}
BOB = {"X-Forwarded-User": "bob"}


@pytest.fixture
def console(tmp_path: Path) -> tuple[TestClient, Desk, RecordingPublisher]:
    desk, publisher, _ = make_desk(f"sqlite:///{tmp_path / 'console.sqlite3'}")
    api = ConsoleApi(desk, ProxyHeader("X-Forwarded-User"), "proxy", desk.metrics.registry, lambda: True, lambda: True)
    events = [triage_event("e-1"), triage_event("e-2", priority="urgent", text="urgent: my card is blocked abroad")]
    batch = [Incoming(e, SourcePosition(topic="routed.triage", partition=0, offset=i)) for i, e in enumerate(events)]
    desk.store.ingest(batch, desk.clock())
    return TestClient(create_app(api)), desk, publisher


def test_every_api_call_needs_an_identity(console: tuple[TestClient, Desk, RecordingPublisher]) -> None:
    client, _, publisher = console
    calls = [
        ("GET", "/api/items", None),
        ("GET", "/api/items/e-1", None),
        ("POST", "/api/items/e-1/claim", None),
        ("POST", "/api/items/e-1/resolve", {"department": "cards"}),
        ("POST", "/api/returns", {"event_id": "e-1"}),
        ("GET", "/api/stats", None),
        ("GET", "/api/me", None),
    ]
    for method, path, body in calls:
        response = client.request(method, path, json=body)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
    assert publisher.transactions == []


def test_probes_metrics_the_page_and_openapi_are_open(console: tuple[TestClient, Desk, RecordingPublisher]) -> None:
    client, _, _ = console
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
    assert "ticket_console_resolutions_total" in client.get("/metrics").text
    page = client.get("/")
    assert page.status_code == 200 and "Triage console" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "http" not in page.text.split("<body>")[0].replace("http-equiv", "")  # nothing loaded from elsewhere
    for asset in ("/static/console.js", "/static/console.css"):
        assert client.get(asset).status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/items", "/api/items/{event_id}", "/api/items/{event_id}/claim", "/api/items/{event_id}/resolve",
                 "/api/returns", "/api/stats"):  # fmt: skip
        assert path in paths, path


def test_items_list_in_queue_order_with_suggestions(console: tuple[TestClient, Desk, RecordingPublisher]) -> None:
    client, _, _ = console
    body = client.get("/api/items", headers=ALICE).json()
    assert [i["event_id"] for i in body["items"]] == ["e-2", "e-1"] and body["count"] == 2
    first = body["items"][0]
    assert first["priority"] == "urgent" and first["explanation"] == ["charged", "card"]
    assert [s["department"] for s in first["suggestions"]] == ["cards", "payments", "accounts"]
    assert first["status"] == "open" and first["age_s"] > 0 and first["kind"] == "complaint"
    urgent = client.get("/api/items", params={"priority": "normal"}, headers=ALICE).json()
    assert [i["event_id"] for i in urgent["items"]] == ["e-1"]
    assert client.get("/api/items", params={"limit": 1}, headers=ALICE).json()["count"] == 1


def test_claim_resolve_and_the_second_caller_learns_who_won(
    console: tuple[TestClient, Desk, RecordingPublisher],
) -> None:
    client, _, publisher = console
    assert client.post("/api/items/e-1/claim", headers=ALICE).json()["claimed_by"] == "alice"
    assert [i["event_id"] for i in client.get("/api/items", headers=BOB).json()["items"]] == ["e-2"]
    claimed = client.post("/api/items/e-1/claim", headers=BOB)
    assert claimed.status_code == 409 and claimed.json()["claimed_by"] == "alice"
    done = client.post("/api/items/e-1/resolve", json={"department": "payments", "note": "a transfer"}, headers=ALICE)
    assert done.status_code == 200
    assert done.json()["agent"] == "alice" and done.json()["outcome"] == "top3" and done.json()["published"]
    again = client.post("/api/items/e-1/resolve", json={"department": "loans"}, headers=BOB)
    assert again.status_code == 409
    assert again.json()["resolution"]["agent"] == "alice" and again.json()["resolution"]["department"] == "payments"
    assert len(publisher.transactions) == 1
    item = client.get("/api/items/e-1", headers=BOB).json()
    assert item["status"] == "resolved" and item["resolution"]["note"] == "a transfer"
    resolved = client.get("/api/items", params={"status": "resolved"}, headers=BOB).json()
    assert [i["event_id"] for i in resolved["items"]] == ["e-1"]
    stats = client.get("/api/stats", headers=BOB).json()
    assert stats["open_items"] == 1 and stats["resolutions"] == {"top3": 1} and stats["agreement_top3"] == 1.0


def test_not_found_and_unknown_department(console: tuple[TestClient, Desk, RecordingPublisher]) -> None:
    client, _, publisher = console
    assert client.get("/api/items/nope", headers=ALICE).status_code == 404
    assert client.post("/api/items/nope/claim", headers=ALICE).status_code == 404
    assert client.post("/api/items/nope/resolve", json={"department": "cards"}, headers=ALICE).status_code == 404
    for department in ("triage", "pets", "", "CARDS"):
        response = client.post("/api/items/e-1/resolve", json={"department": department}, headers=ALICE)
        assert response.status_code == 422, department
    assert client.post("/api/items/e-1/resolve", json={}, headers=ALICE).status_code == 422
    assert client.post("/api/items/e-1/resolve", json={"department": "cards", "x": 1}, headers=ALICE).status_code == 422
    assert client.get("/api/items", params={"department": "pets"}, headers=ALICE).status_code == 422
    assert client.get("/api/items", params={"limit": 0}, headers=ALICE).status_code == 422
    assert publisher.transactions == []


def test_not_about_banking_resolves_to_feedback_only(console: tuple[TestClient, Desk, RecordingPublisher]) -> None:
    client, _, publisher = console
    response = client.post("/api/items/e-1/resolve", json={"department": "not_banking"}, headers=ALICE)
    assert response.status_code == 200 and response.json()["not_banking"] is True
    assert [r.topic for r in publisher.transactions[0]] == ["tickets.feedback"]


def test_returns(console: tuple[TestClient, Desk, RecordingPublisher]) -> None:
    client, _, _ = console
    client.post("/api/items/e-1/resolve", json={"department": "cards"}, headers=ALICE)
    back = client.post(
        "/api/returns", json={"event_id": "e-1", "note": "about a loan"}, headers={"X-Forwarded-User": "cards-desk"}
    )
    assert back.status_code == 201
    assert back.json()["reason"] == "returned" and back.json()["returned_by"] == "cards-desk"
    routed = triage_event("e-7").model_copy(update={"department": "loans", "reason": "confident"})
    fresh = client.post(
        "/api/returns", json={"event_id": "e-7", "routed_event": routed.model_dump(mode="json")}, headers=ALICE
    )
    assert fresh.status_code == 201 and fresh.json()["status"] == "open"
    assert client.post("/api/returns", json={"event_id": "e-8"}, headers=ALICE).status_code == 404
    other = {"event_id": "e-9", "routed_event": routed.model_dump(mode="json")}
    assert client.post("/api/returns", json=other, headers=ALICE).status_code == 422


def test_a_huge_body_is_refused_before_it_is_read(console: tuple[TestClient, Desk, RecordingPublisher]) -> None:
    client, _, _ = console
    body = b'{"department": "cards", "note": "' + b"x" * 3_000_000 + b'"}'
    response = client.post(
        "/api/items/e-1/resolve", content=body, headers={**ALICE, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(body=st.binary(max_size=2000))
def test_fuzzed_resolve_bodies_never_break_the_api(
    console: tuple[TestClient, Desk, RecordingPublisher], body: bytes
) -> None:
    client, _, _ = console
    response = client.post("/api/items/e-2/resolve", content=body, headers={**BOB, "Content-Type": "application/json"})
    assert response.status_code in (200, 400, 409, 422)  # 400: not UTF-8 at all


@FUZZ
@given(body=st.fixed_dictionaries({"department": st.text(max_size=30)}, optional={"label": JSON, "note": JSON}))
def test_fuzzed_decisions_are_accepted_or_422(
    console: tuple[TestClient, Desk, RecordingPublisher], body: dict[str, Any]
) -> None:
    client, _, _ = console
    response = client.post("/api/items/e-2/resolve", json=body, headers=BOB)
    assert response.status_code in (200, 409, 422)
    if body["department"] not in CHOICES:
        assert response.status_code == 422


@FUZZ
@given(body=JSON, note=st.text(min_size=2001, max_size=5000))
def test_fuzzed_returns_and_huge_notes_are_422(
    console: tuple[TestClient, Desk, RecordingPublisher], body: Any, note: str
) -> None:
    client, _, _ = console
    assert client.post("/api/returns", json=body, headers=BOB).status_code in (404, 422)
    huge = client.post("/api/items/e-2/resolve", json={"department": "cards", "note": note}, headers=BOB)
    assert huge.status_code == 422


@FUZZ
@given(
    event_id=st.text(min_size=1, max_size=300),
    agent=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=200),
)
def test_fuzzed_ids_and_identities(
    console: tuple[TestClient, Desk, RecordingPublisher], event_id: str, agent: str
) -> None:
    client, _, _ = console
    response = client.get("/api/items/" + quote(event_id, safe=""), headers={"X-Forwarded-User": agent})
    assert response.status_code in (200, 401, 404)
