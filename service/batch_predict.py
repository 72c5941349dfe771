"""Offline batch routing: read texts from CSV or JSONL, classify in chunks, write one JSON line per row in order."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from classifier.masking import mask_text
from classifier.prediction import Classifier
from core.errors import DataError
from core.textfiles import checked_text, csv_rows, jsonl_objects
from service.decisions import DecisionRules, decide_batch
from service.routing import decide

CHUNK = 4096
"""Rows read and classified together (the classifier batches them further)."""


def read_rows(path: Path, text_column: str, id_column: str | None = None) -> Iterator[tuple[str, object]]:
    """``(text, id)`` of every row of a ``.csv`` or ``.jsonl`` file, in file order; a :class:`DataError` naming
    the file (and line) for anything that cannot be read.

    The first row is read at once, so a missing, empty or unreadable file fails before a model is loaded.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path, text_column, id_column)
    elif suffix in {".jsonl", ".ndjson", ".json"}:
        rows = _jsonl_rows(path, text_column, id_column)
    else:
        raise DataError(f"{path}: unsupported input format {path.suffix!r} (use .csv or .jsonl)")
    first = next(rows, None)
    if first is None:
        raise DataError(f"{path}: no rows")
    return itertools.chain([first], rows)


def _csv_rows(path: Path, text_column: str, id_column: str | None) -> Iterator[tuple[str, object]]:
    for row in csv_rows(path, [c for c in (text_column, id_column) if c is not None]):
        yield row[text_column] or "", row[id_column] if id_column else None


def _jsonl_rows(path: Path, text_column: str, id_column: str | None) -> Iterator[tuple[str, object]]:
    for number, record in jsonl_objects(path):
        text = checked_text(record.get(text_column), f"{path}:{number}: field {text_column!r}")
        row_id = record.get(id_column) if id_column else None
        if row_id is not None:  # copied to the output: it must be writable as UTF-8 too
            checked_text(json.dumps(row_id, ensure_ascii=False), f"{path}:{number}: field {id_column!r}")
        yield text, row_id


def predict_file(
    classifier: Classifier,
    rows: Iterator[tuple[str, object]],
    out: IO[str],
    rules: DecisionRules | None = None,
    top_k: int = 3,
    kind: str = "complaint",
) -> int:
    """Route every row with the router's decisions for events of ``kind``; returns the number of rows written."""
    rules = rules or DecisionRules()
    written = 0
    chunk: list[tuple[str, object]] = []

    def flush() -> None:
        nonlocal written
        texts = [mask_text(text).text for text, _ in chunk]  # as the router sees them
        predictions = classifier.predict(texts)
        decisions = decide_batch(classifier, texts, [kind] * len(texts), predictions, rules)
        for (_, row_id), p, d in zip(chunk, predictions, decisions, strict=True):
            department, reason = decide(p, d.threshold)
            record: dict[str, object] = {"row": written}
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
