"""The triage loop's record policy and liveness, without a broker: bad records are skipped, a dead thread shows."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from prometheus_client import CollectorRegistry

import console.consumer as consumer_module
from console.consumer import TriageConsumer, decode_batch
from console.metrics import ConsoleMetrics
from console.settings import ConsoleSettings
from tests.console_fakes import make_desk, triage_event
from tests.integration.router_process import wait_for

SECRET_TEXT = "my card 4111 was stolen"


class Record(NamedTuple):
    topic: str
    partition: int
    offset: int
    value: bytes | None


def test_bad_records_are_counted_and_logged_by_position_never_by_text(caplog: pytest.LogCaptureFixture) -> None:
    metrics = ConsoleMetrics(CollectorRegistry())
    good = triage_event("e-1", text=SECRET_TEXT)
    elsewhere = good.model_copy(update={"department": "cards", "reason": "confident"})
    records = [
        Record("routed.triage", 0, 10, good.model_dump_json().encode()),
        Record("routed.triage", 0, 11, b'{"text": "' + SECRET_TEXT.encode() + b'"}'),
        Record("routed.triage", 1, 12, None),
        Record("routed.triage", 1, 13, elsewhere.model_dump_json().encode()),
    ]
    with caplog.at_level(logging.WARNING):
        batch = decode_batch(records, 1_000_000, metrics)
    assert [i.routed.event.event_id for i in batch] == ["e-1"] and batch[0].position.offset == 10
    assert metrics.refused.labels(reason="invalid")._value.get() == 1  # type: ignore[attr-defined]
    assert metrics.refused.labels(reason="empty")._value.get() == 1  # type: ignore[attr-defined]
    assert metrics.refused.labels(reason="not_triage")._value.get() == 1  # type: ignore[attr-defined]
    assert "routed.triage[0]@11" in caplog.text and "routed.triage[1]@12" in caplog.text
    assert "4111" not in caplog.text and "stolen" not in caplog.text


def test_any_error_while_decoding_one_record_skips_only_that_record(monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = ConsoleMetrics(CollectorRegistry())
    real = consumer_module.decode_triage

    def flaky(value: bytes | None, max_bytes: int) -> Any:
        if value == b"boom":
            raise KeyError("unexpected")
        return real(value, max_bytes)

    monkeypatch.setattr(consumer_module, "decode_triage", flaky)
    good = triage_event("e-1").model_dump_json().encode()
    batch = decode_batch([Record("t", 0, 1, b"boom"), Record("t", 0, 2, good)], 1_000_000, metrics)
    assert len(batch) == 1 and metrics.refused.labels(reason="error")._value.get() == 1  # type: ignore[attr-defined]


def test_a_dead_consumer_thread_is_unhealthy_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    desk, _, _ = make_desk(f"sqlite:///{tmp_path / 'c.sqlite3'}")

    class Exploding:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def poll(self, timeout_ms: int) -> dict[str, list[Any]]:
            raise RuntimeError("a bug in the loop itself")

        def close(self) -> None:
            pass

    monkeypatch.setattr(consumer_module, "KafkaConsumer", Exploding)
    worker = TriageConsumer(ConsoleSettings(), desk.store, ConsoleMetrics(CollectorRegistry()))
    assert not worker.alive()  # not started
    worker.start()
    wait_for(lambda: not worker.alive(), 10, "the dead thread to show")
    assert not worker.ready()
    worker.stop()
