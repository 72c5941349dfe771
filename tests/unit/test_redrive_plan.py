"""Redrive decisions without Kafka: filters, the loop guard, truncated values, records that are not dead letters."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ConfigError
from schemas.outputs import DeadLetter, SourcePosition, Truncation
from service.commands.redrive import default_group, parse_instant
from service.redrive_plan import REDRIVE_SOURCE_HEADER, Selection, Tally, plan, redrive_count
from service.routing import REDRIVE_COUNT_HEADER, InRecord

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OUTCOMES = {"send", "passed_over", "max_redrives", "truncated", "not_a_dead_letter"}


def letter(
    reason: str = "schema_error", raw: bytes = b'{"event_id": "e1"}', key: str | None = "k1", **kw: object
) -> DeadLetter:
    text, encoding = DeadLetter.encode_raw(raw)
    fields: dict[str, object] = {
        "reason": reason,
        "error": "bad",
        "source": SourcePosition(topic="tickets.complaints", partition=1, offset=7),
        "key": key,
        "raw": text,
        "raw_encoding": encoding,
        "failed_at": T0,
    }
    return DeadLetter.model_validate({**fields, **kw})


def record(value: DeadLetter | bytes | None, headers: list[tuple[str, bytes]] | None = None) -> InRecord:
    body = value.model_dump_json().encode() if isinstance(value, DeadLetter) else value
    return InRecord("tickets.dlq", 2, 40, b"k1", body, 0, headers or [])


def test_a_selected_dead_letter_is_sent_whole_to_its_source_with_a_count() -> None:
    raw = b"\xff\xfe binary \x00"
    planned = plan(record(letter(raw=raw)), Selection(), 3, None)
    assert planned.outcome == "send" and planned.out is not None
    assert planned.out.topic == "tickets.complaints" and planned.out.value == raw and planned.out.key == b"k1"
    assert dict(planned.out.headers) == {REDRIVE_COUNT_HEADER: b"1", REDRIVE_SOURCE_HEADER: b"tickets.dlq/2/40"}
    again = plan(record(letter(), [(REDRIVE_COUNT_HEADER, b"2")]), Selection(), 3, "fixed.complaints")
    assert again.out is not None and again.out.topic == "fixed.complaints"
    assert dict(again.out.headers)[REDRIVE_COUNT_HEADER] == b"3"


def test_loop_guard_refuses_at_max_redrives() -> None:
    assert plan(record(letter(), [(REDRIVE_COUNT_HEADER, b"2")]), Selection(), 3, None).outcome == "send"
    refused = plan(record(letter(), [(REDRIVE_COUNT_HEADER, b"3")]), Selection(), 3, None)
    assert refused.outcome == "max_redrives" and refused.out is None and refused.redrives == 3
    assert plan(record(letter(), [(REDRIVE_COUNT_HEADER, b"x")]), Selection(), 3, None).outcome == "max_redrives"


def test_redrive_count_header() -> None:
    assert redrive_count([]) == 0
    assert redrive_count([("other", b"9"), (REDRIVE_COUNT_HEADER, b" 4 ")]) == 4
    for bad in (b"-1", b"1.5", b"", b"\xff", b"9999999"):
        assert redrive_count([(REDRIVE_COUNT_HEADER, bad)]) is None, bad


def test_filters_combine() -> None:
    dl = record(letter())
    assert plan(dl, Selection(reasons=frozenset({"schema_error", "oversized"})), 3, None).outcome == "send"
    assert plan(dl, Selection(reasons=frozenset({"oversized"})), 3, None).outcome == "passed_over"
    assert plan(dl, Selection(source_topics=frozenset({"tickets.social"})), 3, None).outcome == "passed_over"
    assert plan(dl, Selection(since=T0, until=T0 + timedelta(seconds=1)), 3, None).outcome == "send"
    assert plan(dl, Selection(since=T0 + timedelta(microseconds=1)), 3, None).outcome == "passed_over"
    assert plan(dl, Selection(until=T0), 3, None).outcome == "passed_over", "until is exclusive"
    both = Selection(reasons=frozenset({"schema_error"}), source_topics=frozenset({"tickets.social"}))
    assert plan(dl, both, 3, None).outcome == "passed_over"


def test_event_id_matches_the_key_or_the_raw_event_id() -> None:
    by_key = Selection(event_ids=frozenset({"k1"}))
    by_body = Selection(event_ids=frozenset({"e1"}))
    assert plan(record(letter()), by_key, 3, None).outcome == "send"
    assert plan(record(letter(key=None)), by_body, 3, None).outcome == "send"
    assert plan(record(letter(raw=b"{not json e1")), by_body, 3, None).outcome == "passed_over"
    assert plan(record(letter(raw=b'["e1"]')), by_body, 3, None).outcome == "passed_over"
    assert plan(record(letter(raw=b'{"event_id": 1}')), Selection(event_ids=frozenset({"1"})), 3, None).outcome == (
        "passed_over"
    )


def test_a_truncated_value_or_key_is_refused_not_sent_in_part() -> None:
    for field in ("raw", "key"):
        cut = letter(truncated=[Truncation(field=field, size=2_000_000, sha256="0" * 64)])
        planned = plan(record(cut), Selection(), 3, None)
        assert planned.outcome == "truncated" and planned.out is None, field


def test_records_that_are_not_dead_letters_are_refused() -> None:
    for value in (None, b"", b"{}", b"\x00\xff", json.dumps({"reason": "nope"}).encode()):
        assert plan(record(value), Selection(), 3, None).outcome == "not_a_dead_letter"


@given(
    value=st.one_of(st.none(), st.binary(max_size=2000)),
    headers=st.lists(st.tuples(st.sampled_from([REDRIVE_COUNT_HEADER, "x"]), st.binary(max_size=12)), max_size=3),
)
def test_any_record_gets_a_decision(value: bytes | None, headers: list[tuple[str, bytes]]) -> None:
    planned = plan(record(value, headers), Selection(reasons=frozenset({"oversized"})), 3, None)
    assert planned.outcome in OUTCOMES


@given(raw=st.binary(max_size=3000), count=st.integers(min_value=0, max_value=5))
def test_any_raw_value_round_trips_byte_for_byte(raw: bytes, count: int) -> None:
    planned = plan(record(letter(raw=raw), [(REDRIVE_COUNT_HEADER, str(count).encode())]), Selection(), 3, None)
    if count >= 3:
        assert planned.outcome == "max_redrives"
    else:
        assert planned.out is not None and planned.out.value == raw


def test_tally_summary() -> None:
    tally = Tally()
    for planned in (
        plan(record(letter()), Selection(), 3, None),
        plan(record(letter(reason="oversized")), Selection(), 3, "t"),
        plan(record(letter(), [(REDRIVE_COUNT_HEADER, b"3")]), Selection(), 3, None),
        plan(record(b"junk"), Selection(), 3, None),
        plan(record(letter()), Selection(reasons=frozenset({"oversized"})), 3, None),
    ):
        tally.add(planned)
    summary = tally.summary(False, group_id="g")
    assert summary["read"] == 5 and summary["redriven"] == 2 and summary["passed_over"] == 1
    assert summary["selected"] == 3
    assert summary["refused"] == {"max_redrives": 1, "truncated": 0, "not_a_dead_letter": 1}
    assert summary["redriven_by_reason"] == {"schema_error": 1, "oversized": 1}
    assert summary["redriven_to"] == {"tickets.complaints": 1, "t": 1}
    assert summary["group_id"] == "g" and summary["dry_run"] is False


def test_parse_instant() -> None:
    assert parse_instant("2026-11-24T12:00:00Z") == T0
    assert parse_instant("2026-11-24T13:00:00+01:00") == T0
    assert parse_instant("2026-11-24T12:00:00") == T0, "naive times are UTC"
    assert parse_instant("2026-11-24") == T0 - timedelta(hours=12)
    age = datetime.now(UTC) - parse_instant("2h")
    assert abs(age - timedelta(hours=2)) < timedelta(minutes=1)
    for bad in ("yesterday", "2h ago", "-5m", "2026-13-01", ""):
        with pytest.raises(ConfigError):
            parse_instant(bad)


def test_default_group_follows_the_selection_as_typed() -> None:
    def args(**kw: object) -> argparse.Namespace:
        base: dict[str, object] = dict.fromkeys(("reason", "source_topic", "event_id", "since", "until", "to_topic"))
        return argparse.Namespace(**{**base, **kw})

    one = default_group("ticket-router", args(reason=["oversized"], since="2h"))
    assert one.startswith("ticket-router-redrive-")
    assert one == default_group("ticket-router", args(reason=["oversized"], since="2h")), "stable across runs"
    assert one != default_group("ticket-router", args(reason=["schema_error"], since="2h"))
    assert default_group("g", args(reason=["a", "b"])) == default_group("g", args(reason=["b", "a"]))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--to-topic", "tickets.dlq"], "cannot be the dead-letter topic"),
        (["--group-id", "ticket-router"], "group of its own"),
        (["--since", "1h", "--until", "2h"], "--since must be before --until"),
        (["--since", "last week"], "not an ISO-8601 time"),
        (["--max-redrives", "0"], "at least 1"),
    ],
)
def test_refused_options_name_the_problem(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Checked before any connection: a clear error and exit code 2."""
    from service.cli import main

    assert main(["redrive", *argv]) == 2
    assert message in capsys.readouterr().err
