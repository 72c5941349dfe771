"""The real ``ticket-trainer serve``: POST /retrain needs the bearer token; probes and reads stay open."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streaming.embedded_broker import EmbeddedBroker
from tests.integration.router_process import TEST_API_TOKEN, TrainerProcess, http_get, wait_for


def _env(broker: EmbeddedBroker, tmp_path: Path, group: str) -> dict[str, str]:
    return {
        "TICKET_TRAINER_BOOTSTRAP_SERVERS": broker.bootstrap,
        "TICKET_TRAINER_GROUP_ID": group,
        "TICKET_TRAINER_FEEDBACK_STORE": str(tmp_path / f"{group}.sqlite3"),
        "TICKET_TRAINER_REGISTRY": str(tmp_path / "registry"),
        "TICKET_TRAINER_FORECAST_BUNDLE": "",
        # An accepted refresh fails at once for want of base data instead of training for minutes.
        "TICKET_TRAINER_DATA_DIR": str(tmp_path / "no-data"),
    }


def test_retrain_refuses_without_the_token_and_accepts_it(
    broker: EmbeddedBroker, tmp_path: Path, console_script: Callable[[str], Path], unique_name: Callable[[str], str]
) -> None:
    trainer = TrainerProcess(
        console_script("ticket-trainer"), _env(broker, tmp_path, unique_name("trainer")), tmp_path / "trainer.log"
    )
    try:
        trainer.wait_ready()
        status, headers, _ = trainer.request("POST", "/retrain", token=None)
        assert status == 401 and headers.get("www-authenticate") == "Bearer"
        status, headers, _ = trainer.request("POST", "/retrain", token=TEST_API_TOKEN[:-1] + "0")
        assert status == 403 and "www-authenticate" not in headers
        assert http_get(trainer.port, "/jobs/nope")[0] == 404
        for path in ("/healthz", "/readyz", "/metrics", "/models", "/openapi.json"):
            assert http_get(trainer.port, path)[0] == 200, path

        status, body = trainer.post("/retrain")
        assert status == 202, body
        assert trainer.get(f"/jobs/{body['job_id']}")["trigger"] == "api"
        wait_for(lambda: trainer.get(f"/jobs/{body['job_id']}")["state"] != "running", 120, "the refresh job to end")
    finally:
        trainer.terminate()
    assert TEST_API_TOKEN not in trainer.log()


def test_without_a_token_retrain_is_off_and_the_log_says_so(
    broker: EmbeddedBroker, tmp_path: Path, console_script: Callable[[str], Path], unique_name: Callable[[str], str]
) -> None:
    env = {**_env(broker, tmp_path, unique_name("trainer")), "TICKET_TRAINER_API_TOKEN": ""}
    trainer = TrainerProcess(console_script("ticket-trainer"), env, tmp_path / "trainer.log")
    try:
        trainer.wait_ready()
        status, body = trainer.post("/retrain")
        assert status == 503 and "TICKET_TRAINER_API_TOKEN" in body["detail"]
        assert http_get(trainer.port, "/models")[0] == 200
    finally:
        trainer.terminate()
    assert "TICKET_TRAINER_API_TOKEN is not set" in trainer.log()
