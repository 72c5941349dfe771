"""Offline batch routing with a fake classifier: order, fields, formats and errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from core.errors import DataError
from service import batch_predict
from service.batch_predict import predict_file, read_rows
from service.decisions import DecisionRules
from service.priority import PriorityMap
from tests.unit.fakes import KeywordClassifier


def test_csv_rows_are_routed_in_order_with_the_routers_decision(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,body\n7,my card was stolen\n8,hello there\n9,mortgage escrow\n", encoding="utf-8")
    out = io.StringIO()
    fake = KeywordClassifier(threshold=0.5)
    assert predict_file(fake, read_rows(path, "body", "id"), out) == 3
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["row"] for line in lines] == [0, 1, 2]
    assert [line["id"] for line in lines] == ["7", "8", "9"]
    assert [line["department"] for line in lines] == ["cards", "triage", "mortgages"]
    assert lines[1]["reason"] == "low_confidence" and lines[1]["label"] == "unknown"
    fields = {"row", "id", "department", "label", "confidence", "reason", "priority", "explanation", "alternatives"}
    assert set(lines[0]) == fields
    assert [line["priority"] for line in lines] == ["normal"] * 3
    assert [line["explanation"] for line in lines] == [[], [], []], "by default only triage rows are explained"
    assert fake.explained == ["hello there"]


def test_rows_carry_priority_and_explanation_by_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("body\nmy card was stolen\nmortgage escrow\n", encoding="utf-8")
    rules = DecisionRules(priorities=PriorityMap(frozenset({"cards_label"})), explain="all")
    out = io.StringIO()
    predict_file(KeywordClassifier(), read_rows(path, "body"), out, rules)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["priority"] for line in lines] == ["urgent", "normal"]
    assert [line["explanation"] for line in lines] == [["card"], ["mortgage"]]


def test_jsonl_input_and_chunked_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_predict, "CHUNK", 4)
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": f"loan {i}"}) + "\n" for i in range(10)), encoding="utf-8")
    fake = KeywordClassifier()
    out = io.StringIO()
    predict_file(fake, read_rows(path, "text"), out, DecisionRules(override=0.95))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert fake.calls == [4, 4, 2], "never one model call per row"
    assert [line["row"] for line in lines] == list(range(10))
    assert {line["department"] for line in lines} == {"triage"}, "explicit threshold overrides the bundle's"


def test_bad_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        list(read_rows(tmp_path / "nope.csv", "text"))
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="unsupported"):
        list(read_rows(tmp_path / "a.txt", "text"))
    (tmp_path / "b.csv").write_text("body\nx\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"missing column\(s\) text; columns found: body"):
        list(read_rows(tmp_path / "b.csv", "text"))
    (tmp_path / "c.jsonl").write_text('{"text": "ok"}\n{"text": 3}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"c.jsonl:2"):
        list(read_rows(tmp_path / "c.jsonl", "text"))
