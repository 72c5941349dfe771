"""Offline batch routing: read texts from CSV or JSONL, classify in chunks, write one JSON line per row in order."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from service.decisions import DecisionRules, decide_batch
from service.errors import DataError
from service.prediction import Classifier
from service.routing import decide

CHUNK = 4096
"""Rows read and classified together (the classifier batches them further)."""


def read_rows(path: Path, text_column: str, id_column: str | None = None) -> Iterator[tuple[str, Any]]:
    """``(text, id)`` of every row of a ``.csv`` or ``.jsonl`` file, in file order."""
    if not path.is_file():
        raise DataError(f"input file not found: {path}")
    if path.suffix.lower() == ".csv":
        yield from _csv_rows(path, text_column, id_column)
    elif path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
        yield from _jsonl_rows(path, text_column, id_column)
    else:
        raise DataError(f"{path}: unsupported input format {path.suffix!r} (use .csv or .jsonl)")


def _csv_rows(path: Path, text_column: str, id_column: str | None) -> Iterator[tuple[str, Any]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for column in (text_column, id_column):
            if column is not None and column not in (reader.fieldnames or []):
                raise DataError(f"{path}: no column {column!r}; columns are {reader.fieldnames}")
        for row in reader:
            yield row[text_column] or "", row[id_column] if id_column else None


def _jsonl_rows(path: Path, text_column: str, id_column: str | None) -> Iterator[tuple[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not JSON ({exc.msg})") from None
            text = record.get(text_column) if isinstance(record, dict) else None
            if not isinstance(text, str):
                raise DataError(f"{path}:{number}: no string field {text_column!r}")
            yield text, record.get(id_column) if id_column else None


def predict_file(
    classifier: Classifier,
    rows: Iterator[tuple[str, Any]],
    out: IO[str],
    rules: DecisionRules | None = None,
    top_k: int = 3,
    kind: str = "complaint",
) -> int:
    """Route every row with the router's decisions for events of ``kind``; returns the number of rows written."""
    rules = rules or DecisionRules()
    written = 0
    chunk: list[tuple[str, Any]] = []

    def flush() -> None:
        nonlocal written
        texts = [text for text, _ in chunk]
        predictions = classifier.predict(texts)
        decisions = decide_batch(classifier, texts, [kind] * len(texts), predictions, rules)
        for (_, row_id), p, d in zip(chunk, predictions, decisions, strict=True):
            department, reason = decide(p, d.threshold)
            record: dict[str, Any] = {"row": written}
            if row_id is not None:
                record["id"] = row_id
            record |= {"department": department, "label": p.label, "confidence": round(p.confidence, 6)}
            record |= {"reason": reason, "priority": d.priority, "explanation": list(d.explanation)}
            record["alternatives"] = [
                {"label": a.label, "department": a.department, "confidence": round(a.confidence, 6)}
                for a in p.alternatives[:top_k]
            ]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
        chunk.clear()

    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    return written
