"""The real router process masks personal data on every output topic: departments, triage and dead letters."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from classifier.masking import ENTITIES
from schemas.common import TRIAGE
from schemas.outputs import DeadLetter
from streaming.kafka_config import KafkaSettings
from tests.integration.router_process import OutputReader, RouterProcess, complaint, make_topics, metric_value, produce
from tests.pii_samples import GENERATORS, surviving_card_runs

pytestmark = pytest.mark.slow
_SEPARATORS = re.compile(r"[ \-]")

SENTENCES = [
    "my credit card {} was charged twice for the same purchase",
    "the mortgage payment from {} was not applied to my home loan",
    "a debt collector keeps calling me about {}",
    "what is the weather like tomorrow, reach me at {}",
]


def _events() -> tuple[list[tuple[str, bytes]], list[bytes], set[str]]:
    """(event id, value) of valid events, raw dead-letter values, and every value that must not survive."""
    rng = random.Random(19)
    forbidden: set[str] = set()
    inserted: list[str] = []
    for entity in sorted(GENERATORS):
        for _ in range(3):
            text, values = GENERATORS[entity](rng)
            inserted.append(text)
            forbidden.update(values)
    all_in_one = " and ".join(inserted[::3])
    events = [(f"m{i}", complaint(f"m{i}", SENTENCES[i % 4].format(v))) for i, v in enumerate(inserted)]
    events.append(("m-all", complaint("m-all", all_in_one)))
    dead = [
        complaint("d1", all_in_one)[:-3],  # invalid JSON
        json.dumps({"kind": "complaint", "event_id": "d2", "text": all_in_one}).encode(),  # no created_at
        json.dumps({"kind": "complaint", "text": all_in_one}).replace("4", "\\u0034").encode(),  # escaped digits
        b"\xff\xfe " + all_in_one.encode(),  # not UTF-8
    ]
    return events, dead, {v for v in forbidden if len(re.sub(r"\D", "", v)) >= 6 or "@" in v}


def _text_views(record: object) -> list[str]:
    """Every byte of an output record as text, plus its JSON decoded (escapes resolved) and any base64 raw."""
    key, value = getattr(record, "key") or b"", getattr(record, "value") or b""  # noqa: B009
    headers = b"".join(k.encode() + (v or b"") for k, v in getattr(record, "headers"))  # noqa: B009
    views = [(key + value + headers).decode("latin-1")]
    decoded = json.loads(value)
    views.append(json.dumps(decoded, ensure_ascii=False))
    if "raw_encoding" in decoded:
        views.append(DeadLetter.model_validate(decoded).raw_bytes().decode("latin-1"))
    return views


def _free_text(value: bytes) -> str:
    """The text fields of an output record: the event text, or a dead letter's raw value, key and error."""
    decoded = json.loads(value)
    if "raw_encoding" not in decoded:
        return str(decoded["event"]["text"])
    letter = DeadLetter.model_validate(decoded)
    return " ".join([letter.raw_bytes().decode("latin-1"), letter.key or "", letter.error])


@pytest.mark.parametrize("threshold", ["0.0", "1.0"], ids=["departments", "triage"])
def test_no_inserted_identifier_leaves_the_router(
    threshold: str,
    kafka_settings: KafkaSettings,
    unique_name: Callable[[str], str],
    start_router: Callable[..., RouterProcess],
    tiny_bundle: Path,
) -> None:
    events, dead, forbidden = _events()
    topics = make_topics(kafka_settings, unique_name)
    env = {
        **topics.env(),
        "TICKET_ROUTER_GROUP_ID": unique_name("g"),
        "TICKET_ROUTER_MODEL_PATH": str(tiny_bundle),
        "TICKET_ROUTER_TRIAGE_THRESHOLD": threshold,
    }
    router = start_router(env)
    router.wait_ready()
    items = [(topics.complaints, event_id.encode(), value) for event_id, value in events]
    items += [(topics.social, f"dead{i}".encode(), value) for i, value in enumerate(dead)]
    produce(kafka_settings, items)

    reader = OutputReader(kafka_settings, topics)
    records = reader.read_until(len(items))
    reader.close()
    assert len(records) == len(items)
    by_topic = {r.topic for r in records}
    assert topics.dlq in by_topic
    if threshold == "1.0":
        assert by_topic == {f"{topics.prefix}{TRIAGE}", topics.dlq}
    else:
        assert by_topic - {f"{topics.prefix}{TRIAGE}", topics.dlq}, "some events reach a department topic"
    for record in records:
        for view in _text_views(record):
            compact = _SEPARATORS.sub("", view)
            leaked = [
                v for v in forbidden if v in view or (_SEPARATORS.search(v) and _SEPARATORS.sub("", v) in compact)
            ]
            assert leaked == [], (record.topic, leaked)
        assert surviving_card_runs(_free_text(record.value)) == []  # not the whole record: its floats have 15 digits
    letters = [DeadLetter.model_validate_json(r.value) for r in records if r.topic == topics.dlq]
    assert len(letters) == len(dead) and all(letter.masked for letter in letters)
    routed = [json.loads(r.value)["event"]["text"] for r in records if r.topic != topics.dlq]
    assert all(tag in " ".join(routed) for tag in ("[CARD ****", "[IBAN]", "[SSN]", "[EMAIL]", "[PHONE]", "[ACCOUNT]"))

    body = router.metrics()
    for entity in ENTITIES:
        assert metric_value(body, "ticket_router_masked_entities_total", entity=entity) > 0, entity
    assert router.terminate() == 0
    log = router.log()
    assert not [v for v in forbidden if v in log], "the router's log carries no message text"
