"""Issue 6 end to end: corrections → refresh → promoted → the running router hot-reloads it; a bad one is refused.

Real processes against the embedded broker: ``ticket-trainer train-classifier`` makes a tiny champion on a
small synthetic CSV that routes "payday advance" complaints to cards; ``ticket-router serve`` routes them;
agents' corrections (some with text, some only referencing the routed event) go to the feedback topic;
``ticket-trainer serve`` refreshes when enough arrived, promotes a challenger that routes them to loans,
and the router picks it up without a restart. A challenger trained on corrupted corrections is rejected,
and ``ticket-trainer models rollback`` puts the champion back.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from classifier.registry import ModelRegistry
from streaming.embedded_broker import EmbeddedBroker
from streaming.kafka_config import KafkaSettings
from tests.integration.router_process import (
    OutputReader,
    RouterProcess,
    TrainerProcess,
    complaint,
    http_get,
    make_topics,
    metric_value,
    produce,
    wait_for,
)

pytestmark = pytest.mark.slow

DEPARTMENT_PHRASES = {
    "cards": [
        "my credit card was charged twice",
        "cash advance fee on my credit card statement",
        "the card was declined at the store",
        "annual fee on my visa card",
        "lost my debit card and need a replacement",
    ],
    "mortgages": [
        "my mortgage payment was not applied",
        "escrow shortage on my home mortgage",
        "refinance of my house mortgage was delayed",
        "foreclosure notice for my home",
        "the mortgage servicer lost my paperwork",
    ],
    "collections": [
        "a debt collector keeps calling me",
        "collection agency says I owe a debt I paid",
        "collector threatened to sue over an old debt",
        "debt collection letters for someone else",
        "the collector calls my work every day",
    ],
    "loans": [
        "my personal loan interest rate went up",
        "student loan servicer misapplied my payment",
        "auto loan lender added hidden charges",
        "installment loan was sold to another lender",
        "the car loan payoff amount is wrong",
    ],
}
TAILS = ["", "please help", "this is unfair", "since last month", "again", "I am upset", "what can I do", "today"]
PAYDAY = [
    "the payday advance charged a fee {}",
    "payday advance store took money {}",
    "my payday advance was renewed without asking {}",
    "payday advance company charged twice {}",
]


def phrase(rng: random.Random, base: str) -> str:
    return f"{base} {rng.choice(TAILS)} {rng.choice(TAILS)}".strip()


def payday_texts(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(PAYDAY).format(rng.choice(TAILS)).strip() for _ in range(n)]


def write_base_csv(path: Path) -> None:
    rng = random.Random(7)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for department, phrases in DEPARTMENT_PHRASES.items():
            for _ in range(70):
                writer.writerow([phrase(rng, rng.choice(phrases)), department])


@pytest.fixture
def start_trainer(tmp_path: Path, console_script: Callable[[str], Path]) -> Iterator[Callable[..., TrainerProcess]]:
    started: list[TrainerProcess] = []

    def start(env: dict[str, str]) -> TrainerProcess:
        proc = TrainerProcess(console_script("ticket-trainer"), env, tmp_path / "trainer.log")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


def _feedback(ticket: str, department: str, text: str | None = None, ref: Any = None) -> bytes:
    body: dict[str, Any] = {
        "ticket_id": ticket,
        "correct_department": department,
        "agent": "agent-1",
        "created_at": "2026-11-24T12:00:00Z",
    }
    if text is not None:
        body["text"] = text
    if ref is not None:
        body["routed_event"] = {"topic": ref.topic, "partition": ref.partition, "offset": ref.offset}
    return json.dumps(body).encode()


def _route(kafka: KafkaSettings, reader: OutputReader, topic: str, items: list[tuple[str, str]]) -> dict[str, Any]:
    """Produce (event id, text) complaints and return each id's routed record."""
    before = len(reader.records)
    produce(kafka, [(topic, eid.encode(), complaint(eid, text)) for eid, text in items])
    reader.read_until(before + len(items), timeout=60)
    wanted = {eid for eid, _ in items}
    routed = {json.loads(r.value)["event"]["event_id"]: r for r in reader.records[before:]}
    assert set(routed) == wanted, "every event routed once"
    return routed


def _department(record: Any) -> str:
    return str(json.loads(record.value)["department"])


def test_corrections_promote_a_model_the_router_reloads_and_a_corrupted_one_is_rejected(
    broker: EmbeddedBroker,
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: Callable[..., RouterProcess],
    start_trainer: Callable[..., TrainerProcess],
    console_script: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    base = tmp_path / "base.csv"
    write_base_csv(base)
    registry = ModelRegistry(tmp_path / "registry")
    trainer_cli = console_script("ticket-trainer")
    trained = subprocess.run(
        [str(trainer_cli), "train-classifier", "--train", str(base), "--tiny", "--epochs", "12",
         "--registry", str(registry.root), "--work-dir", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-3000:]
    champion = registry.current_version()

    topics = make_topics(kafka_settings, unique_name)
    feedback_topic = unique_name("feedback")
    router = start_router(
        {
            **topics.env(),
            "TICKET_ROUTER_GROUP_ID": unique_name("router"),
            "TICKET_ROUTER_REGISTRY": str(registry.root),
            "TICKET_ROUTER_RELOAD_INTERVAL_S": "0.5",
        }
    )
    corrections = 40
    trainer = start_trainer(
        {
            "TICKET_TRAINER_BOOTSTRAP_SERVERS": broker.bootstrap,
            "TICKET_TRAINER_GROUP_ID": unique_name("trainer"),
            "TICKET_TRAINER_FEEDBACK_TOPIC": feedback_topic,
            "TICKET_TRAINER_FEEDBACK_STORE": str(tmp_path / "feedback.sqlite3"),
            "TICKET_TRAINER_REGISTRY": str(registry.root),
            "TICKET_TRAINER_BASE_CSV": str(base),
            "TICKET_TRAINER_REFRESH_MODEL": "tiny",
            "TICKET_TRAINER_REFRESH_EPOCHS": "12",
            "TICKET_TRAINER_MIN_NEW_CORRECTIONS": str(corrections),
            "TICKET_TRAINER_CHECK_INTERVAL_S": "0.5",
            # The shipped loan forecaster is served too, publishing to topics of this test only.
            "TICKET_TRAINER_LOANS_TOPIC": unique_name("loans"),
            "TICKET_TRAINER_FORECAST_TOPIC": unique_name("forecast"),
        }
    )
    router.wait_ready()
    trainer.wait_ready()
    reader = OutputReader(kafka_settings, topics)

    # The champion sends "payday advance" complaints to the wrong department.
    rng = random.Random(11)
    payday = [(f"p{i}", text) for i, text in enumerate(payday_texts(rng, corrections))]
    before = _route(kafka_settings, reader, topics.complaints, payday)
    wrong = Counter(_department(r) for r in before.values())
    assert wrong["loans"] < corrections / 2, f"the champion should confuse payday advances: {wrong}"

    # Agents correct every one of them; half send the text, half only point at the routed event.
    produce(
        kafka_settings,
        [
            (feedback_topic, eid.encode(), _feedback(eid, "loans", text=text if i % 2 else None, ref=before[eid]))
            for i, (eid, text) in enumerate(payday)
        ],
    )

    def promoted_or_failed() -> bool:
        failed = metric_value(trainer.get("/metrics"), "ticket_trainer_refresh_runs_total", outcome="failed")
        assert failed == 0, trainer.log()[-4000:]
        return registry.current_version() != champion

    wait_for(promoted_or_failed, 180, "a promoted challenger", interval=0.5)

    # Meanwhile the shipped forecaster was loaded and published its first forecast.
    wait_for(lambda: http_get(trainer.port, "/forecast?days=7")[0] == 200, 60, "the loan forecast")
    forecast = trainer.get("/forecast?days=7")
    assert len(forecast["points"]) == 7 and forecast["value"] == "amount"
    assert all(p["lower"] <= p["forecast"] <= p["upper"] for p in forecast["points"])
    wait_for(
        lambda: metric_value(trainer.get("/metrics"), "ticket_trainer_forecasts_published_total") == 1,
        30,
        "the forecast to be published",
    )
    promoted = registry.current_version()
    manifest = json.loads((registry.path(promoted) / "manifest.json").read_text())
    decision = manifest["promotion"]
    assert decision["promoted"] and decision["champion_version"] == champion
    assert decision["challenger_scores"]["corrections_accuracy"] > decision["champion_scores"]["corrections_accuracy"]
    models = trainer.get("/models")
    assert models["current"] == promoted and [v["current"] for v in models["versions"]].count(True) == 1

    # The running router hot-reloads it and now routes payday advances to loans.
    wait_for(
        lambda: metric_value(router.metrics(), "ticket_router_model_info", version=promoted) == 1,
        60,
        "the router to load the promoted version",
    )
    fresh = [(f"q{i}", text) for i, text in enumerate(payday_texts(random.Random(12), 20))]
    after = _route(kafka_settings, reader, topics.complaints, fresh)
    right = Counter(_department(r) for r in after.values())
    assert right["loans"] >= 18, f"the promoted model should route payday advances to loans: {right}"
    assert {json.loads(r.value)["model_version"] for r in after.values()} == {promoted}
    assert router.process.poll() is None, "no restart"

    # A rogue agent relabels mortgage complaints as cards: that challenger is worse and must be rejected.
    # Fewer than the threshold, so only the API starts this refresh.
    bad_rng = random.Random(13)
    bad = [
        (feedback_topic, f"m{i}".encode(), _feedback(f"m{i}", "cards", text=phrase(bad_rng, mortgage)))
        for i, mortgage in enumerate(DEPARTMENT_PHRASES["mortgages"] * 6)
    ]
    produce(kafka_settings, bad)
    wait_for(
        lambda: (
            metric_value(trainer.get("/metrics"), "ticket_trainer_corrections_received_total", outcome="new")
            == corrections + len(bad)
        ),
        30,
        "the bad corrections to be stored",
    )
    status, body = trainer.post("/retrain")
    assert status == 202, body
    assert trainer.post("/retrain")[0] == 409, "one refresh at a time"
    job = trainer.wait_job(body["job_id"])
    result = job["result"]
    assert not result["promoted"] and "macro-F1" in result["reason"], result
    assert registry.current_version() == promoted, "CURRENT does not move"
    rejected = trainer.get("/models")["rejected"]
    assert [r["version"] for r in rejected] == [result["version"]] and not rejected[0]["promotion"]["promoted"]
    metrics = trainer.get("/metrics")
    assert metric_value(metrics, "ticket_trainer_refresh_runs_total", outcome="promoted") == 1
    assert metric_value(metrics, "ticket_trainer_refresh_runs_total", outcome="rejected") == 1

    # Rollback puts the champion back, and the router follows.
    rollback = subprocess.run(
        [str(trainer_cli), "models", "--registry", str(registry.root), "rollback"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert rollback.returncode == 0, rollback.stderr
    assert registry.current_version() == champion
    wait_for(
        lambda: metric_value(router.metrics(), "ticket_router_model_info", version=champion) == 1,
        60,
        "the router to load the rolled-back version",
    )

    assert trainer.terminate() == 0
    assert router.terminate() == 0
    reader.close()
    log = trainer.log()
    for text in (t for _, t in payday):
        assert text not in log, "correction text must never be logged"
    assert "Traceback" not in log
    print(f"refresh end-to-end took {time.monotonic() - started:.1f}s")  # noqa: T201
