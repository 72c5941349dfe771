"""Routing decisions through the real commands: the shipped bundle's priorities, headers and explanations in a
router process, bad policy settings refused at start, and ``ticket-trainer calibrate`` on a bundle."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from classifier.registry import ModelRegistry
from core.paths import default_classifier_registry
from schemas.manifest import ModelManifest
from schemas.outputs import RoutedEvent
from streaming.kafka_config import KafkaSettings
from tests.integration.classifier_tools import run
from tests.integration.router_process import OutputReader, RouterProcess, make_topics, metric_value, produce

pytestmark = pytest.mark.slow

SOCIAL = {"kind": "social", "platform": "x", "author": "@ann", "created_at": "2026-11-24T12:00:00Z"}
MESSAGES = {
    "stolen": "my card was stolen yesterday, please block it",
    "unknown-payment": "there is a card payment on my statement that I do not recognise",
    "arrival": "when will my new card arrive in the post?",
    "weather": "what is the weather like in paris tomorrow",
    "recipe": "give me a recipe for lasagna",
}


def _social(event_id: str, text: str) -> bytes:
    return json.dumps({**SOCIAL, "event_id": event_id, "text": text}).encode()


def test_shipped_bundle_routes_with_priority_headers_and_explanations(
    kafka_settings: KafkaSettings, unique_name: Callable[[str], str], start_router: Callable[..., RouterProcess]
) -> None:
    shipped = ModelRegistry(default_classifier_registry()).current_path()
    assert ModelManifest.model_validate_json((shipped / "manifest.json").read_bytes()).decisions is not None, (
        "the shipped bundle carries its precision curves"
    )
    topics = make_topics(kafka_settings, unique_name)
    router = start_router({**topics.env(), "TICKET_ROUTER_GROUP_ID": unique_name("g")})
    router.wait_ready()
    produce(kafka_settings, [(topics.social, key.encode(), _social(key, text)) for key, text in MESSAGES.items()])
    reader = OutputReader(kafka_settings, topics)
    records = reader.read_until(len(MESSAGES))
    reader.close()
    assert len(records) == len(MESSAGES)
    events = {}
    for record in records:
        event = RoutedEvent.model_validate_json(record.value)
        events[event.event.event_id] = event
        headers = dict(record.headers)
        assert headers["priority"] == event.priority.encode(), "the header says what the event says"
        assert record.topic == f"{topics.prefix}{event.department}"
        if event.department == "triage":
            assert event.explanation, f"{event.event.event_id}: a triage event carries its terms"
        else:
            assert event.explanation == [], "only triage events are explained by default"
    assert events["stolen"].priority == "urgent" and events["unknown-payment"].priority == "urgent"
    assert events["arrival"].priority == "normal" and events["weather"].priority == "normal"
    assert events["weather"].department == "triage" and events["weather"].reason == "out_of_scope"
    assert any("weather" in term for term in events["weather"].explanation)
    assert events["arrival"].department == "cards"
    body = router.metrics()
    urgent = sum(
        metric_value(body, "ticket_router_events_by_priority_total", department=e.department, priority="urgent")
        for e in events.values()
        if e.priority == "urgent"
    )
    assert urgent >= 2


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TICKET_ROUTER_TARGET_PRECISION_BY_DEPARTMENT", "collections=0.98,cardz=0.9", "unknown department 'cardz'"),
        ("TICKET_ROUTER_TARGET_PRECISION", "0.5", "target precision must be a number from 0.8 to 0.99"),
        ("TICKET_ROUTER_PRIORITY_FILE", "/nonexistent/priorities.csv", "cannot read the priority file"),
    ],
)
def test_bad_policy_settings_stop_the_router_with_the_reason(
    console_script: Callable[[str], Path], tiny_bundle: Path, variable: str, value: str, message: str
) -> None:
    env = {
        "TICKET_ROUTER_MODEL_PATH": str(tiny_bundle),
        "TICKET_ROUTER_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        variable: value,
    }
    result = run(console_script("ticket-router"), "serve", env=env, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in result.stderr


def test_calibrate_an_existing_bundle_then_predict_with_its_policy(
    console_script: Callable[[str], Path], tiny_bundle: Path, small_labelled_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "calibrated-1"
    result = run(
        console_script("ticket-trainer"), "calibrate", "--model", tiny_bundle, "--train", small_labelled_csv,
        "--text-column", "text", "--label-column", "label", "--out", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["version"] == "calibrated-1" and summary["calibration"]["temperature"] > 0
    before = ModelManifest.model_validate_json((tiny_bundle / "manifest.json").read_bytes())
    after = ModelManifest.model_validate_json((out / "manifest.json").read_bytes())
    assert after.model_sha256 == before.model_sha256, "the same model file, a new manifest"
    assert after.calibration == before.calibration, "the training run's own validation split, reproduced"
    assert after.decisions == before.decisions and after.decisions is not None
    assert set(after.decisions.segments) == {"all"}, "a bank's CSV is one segment"
    assert after.training["calibrated_from"] == before.version

    changed = tmp_path / "changed.csv"
    changed.write_text(small_labelled_csv.read_text(encoding="utf-8") + "one more row,cards\n", encoding="utf-8")
    refused = run(
        console_script("ticket-trainer"), "calibrate", "--model", tiny_bundle, "--train", changed,
        "--text-column", "text", "--label-column", "label", "--out", tmp_path / "never",
    )  # fmt: skip
    assert refused.returncode == 2 and "cannot be reproduced" in refused.stderr

    texts = tmp_path / "texts.csv"
    texts.write_text("text\nmy card was stolen\nwhat is the weather\n", encoding="utf-8")
    predicted = run(
        console_script("ticket-router"), "predict", "--model", out, "--input", texts, "--kind", "social",
        "--explain", "all", "--target-precision-by-department", "cards=0.9",
    )  # fmt: skip
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    rows = [json.loads(line) for line in predicted.stdout.splitlines()]
    assert [r["row"] for r in rows] == [0, 1]
    assert all(r["priority"] in {"urgent", "normal"} and isinstance(r["explanation"], list) for r in rows)
    bad = run(console_script("ticket-router"), "predict", "--model", out, "--input", texts, "--target-precision", "2")
    assert bad.returncode == 2 and "target precision must be a number from 0.8 to 0.99" in bad.stderr
