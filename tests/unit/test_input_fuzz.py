"""Fuzzing the command-line tools' file readers: any bytes give a valid result or the project's clean refusal."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from classifier.bundle import read_manifest
from classifier.registry import ModelRegistry, describe_bundle
from core.cli import bounded_float, bounded_int
from core.errors import DataError, ModelLoadError
from service.batch_predict import read_rows
from training.classifier.data import read_csv
from training.forecast.bundle import load_bundle as load_forecast_bundle
from training.forecast.series import read_loan_records

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
DEEP = b"[" * 100_000
DEEP_OBJECT = b'{"text": ' + b"[" * 100_000 + b"\n"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
"""Any JSON value Python can write, NaN and infinities included."""

csv_cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)
"""Any text a UTF-8 file can hold, quotes, commas, line breaks and NUL included."""


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per module, its files overwritten by every example."""
    return tmp_path_factory.mktemp("fuzz")


def _rows_or_refusal(read: Callable[[], list[Any]]) -> list[Any] | None:
    try:
        return read()
    except DataError:
        return None


@FUZZ
@given(data=st.binary(max_size=400))
@example(data=DEEP)
@example(data=b"\xef\xbb\xbftext,id\nhello,1\n")
@example(data=b"text\n" + b"x" * 200_000 + b"\n")
@example(data=b'text\n"unterminated\n')
@example(data=b"\x00\x00\x00")
def test_predict_csv_reader_accepts_or_refuses_any_bytes(scratch: Path, data: bytes) -> None:
    path = _write(scratch, "in.csv", data)
    rows = _rows_or_refusal(lambda: list(read_rows(path, "text")))
    for text, row_id in rows or []:
        assert isinstance(text, str) and row_id is None


@FUZZ
@given(data=st.binary(max_size=400))
@example(data=DEEP)
@example(data=DEEP_OBJECT)
@example(data=b'{"text": "\\ud800"}\n')
@example(data=b'{"text": "ok", "id": ["\\udfff"]}\n')
@example(data=b'{"text": "ok", "id": ' + b"1" * 5000 + b"}\n")
@example(data=b"\xef\xbb\xbf" + b'{"text": "ok"}\n')
def test_predict_jsonl_reader_accepts_or_refuses_any_bytes(scratch: Path, data: bytes) -> None:
    path = _write(scratch, "in.jsonl", data)
    rows = _rows_or_refusal(lambda: list(read_rows(path, "text", "id")))
    for text, row_id in rows or []:
        text.encode("utf-8")
        json.dumps(row_id, ensure_ascii=False).encode("utf-8")


@FUZZ
@given(lines=st.lists(json_values, min_size=1, max_size=4))
def test_predict_jsonl_reader_on_arbitrary_json(scratch: Path, lines: list[Any]) -> None:
    path = _write(scratch, "values.jsonl", "".join(json.dumps(v) + "\n" for v in lines).encode())
    rows = _rows_or_refusal(lambda: list(read_rows(path, "", "")))
    if rows is not None:
        assert all(isinstance(v, dict) and isinstance(v.get(""), str) for v in lines)
        assert [text for text, _ in rows] == [v[""] for v in lines]


@FUZZ
@given(rows=st.lists(st.tuples(csv_cells, csv_cells), max_size=5), bom=st.booleans())
def test_csv_cells_of_any_text_come_back_unchanged(scratch: Path, rows: list[tuple[str, str]], bom: bool) -> None:
    import csv
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["text", "label"])
    writer.writerows(rows)
    path = _write(scratch, "cells.csv", (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode())
    assert [(r["text"], r["label"]) for r in read_csv(path, ["text", "label"])] == rows


@FUZZ
@given(data=st.binary(max_size=400))
@example(data=b"text,label\n" + b"y" * 300_000 + b",cards\n")
@example(data=b"text,label\nonly one cell\n")
def test_training_csv_reader_accepts_or_refuses_any_bytes(scratch: Path, data: bytes) -> None:
    path = _write(scratch, "train.csv", data)
    for row in _rows_or_refusal(lambda: read_csv(path, ["text", "label"])) or []:
        assert isinstance(row["text"], str) and isinstance(row["label"], str)


@FUZZ
@given(data=st.binary(max_size=400))
@example(data=b"created_at,amount\n9999-12-31T23:00:00-01:00,5\n")
@example(data=b"created_at,amount\n0001-01-01T00:00:00+00:01,5\n")
@example(data=b"created_at,amount\n2020-01-01,1.7e308\n2020-01-01,1.7e308\n")
@example(data=b"created_at,amount\n2020-01-01,nan\n")
def test_loans_reader_accepts_or_refuses_any_bytes(scratch: Path, data: bytes) -> None:
    path = _write(scratch, "loans.csv", data)
    for timestamp, amount in _rows_or_refusal(lambda: read_loan_records(path, "amount")) or []:
        assert math.isfinite(amount) and amount >= 0 and timestamp.year >= 1


@FUZZ
@given(created_at=csv_cells, amount=csv_cells)
def test_loans_reader_on_arbitrary_cells(scratch: Path, created_at: str, amount: str) -> None:
    import csv
    import io

    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([["created_at", "amount"], [created_at, amount]])
    path = _write(scratch, "cells.csv", buffer.getvalue().encode())
    _rows_or_refusal(lambda: read_loan_records(path, "amount"))


def _bundle_with_manifest(folder: Path, manifest: bytes) -> Path:
    folder.mkdir(exist_ok=True)
    _write(folder, "manifest.json", manifest)
    return folder


@FUZZ
@given(data=st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode()))
@example(data=DEEP)
@example(data=b'{"version": ' + b"[" * 100_000)
def test_bundle_manifests_are_read_or_refused(scratch: Path, data: bytes) -> None:
    bundle = _bundle_with_manifest(scratch / "bundle", data)
    with pytest.raises(ModelLoadError):
        read_manifest(bundle)
    with pytest.raises(ModelLoadError):
        load_forecast_bundle(bundle)
    assert "error" in describe_bundle(bundle)


@FUZZ
@given(current=st.binary(max_size=80), history=st.binary(max_size=200))
@example(current=b"../elsewhere\n", history=b"v1\n")
@example(current=b"/etc\n", history=b"v1\n../x\n")
@example(current=b"\xff\xfe", history=b"\x00")
def test_registry_pointers_name_a_folder_inside_or_are_refused(scratch: Path, current: bytes, history: bytes) -> None:
    root = scratch / "registry"
    (root / "v1").mkdir(parents=True, exist_ok=True)
    _write(root / "v1", "manifest.json", b"{}")
    _write(root, "CURRENT", current)
    _write(root, "HISTORY", history)
    registry = ModelRegistry(root)
    try:
        path = registry.current_path()
    except ModelLoadError:
        pass
    else:
        assert path.resolve().parent == root.resolve()
    try:
        names = registry.history()
    except ModelLoadError:
        pass
    else:
        assert all((root / name).resolve().parent == root.resolve() for name in names)


@FUZZ
@given(text=st.text(max_size=12))
@example(text="nan")
@example(text="inf")
@example(text="-0")
@example(text="1e-400")
def test_threshold_options_are_finite_in_the_unit_interval_or_refused(text: str) -> None:
    try:
        value = bounded_float(0.0, 1.0)(text)
    except argparse.ArgumentTypeError:
        return
    assert math.isfinite(value) and 0.0 <= value <= 1.0


@FUZZ
@given(text=st.text(max_size=12))
@example(text="-1")
@example(text="6")
@example(text="1" * 5000)
def test_count_options_are_in_range_or_refused(text: str) -> None:
    try:
        value = bounded_int(1, 5)(text)
    except argparse.ArgumentTypeError:
        return
    assert 1 <= value <= 5
