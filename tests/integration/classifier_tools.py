"""Helpers for tests of the classifier commands: a small labelled CSV from the shared data and a CLI runner."""

from __future__ import annotations

import csv
import json
import random
import subprocess
from pathlib import Path
from typing import Any

from classifier.masking import mask_text
from training.classifier.data import production_rows

QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}


def write_small_csv(data_dir: Path, path: Path, per_department: int = 40, seed: int = 3) -> Path:
    """``text,label`` rows, ``per_department`` of every department (labels are department names), shuffled.

    Only the rows written are masked (as training masks every row), not the whole shared data set.
    """
    rows = [(row.text, row.department) for row in production_rows(data_dir)[0]]
    random.Random(seed).shuffle(rows)
    taken: dict[str, int] = {}
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        for text, department in rows:
            if taken.get(department, 0) < per_department:
                taken[department] = taken.get(department, 0) + 1
                writer.writerow([mask_text(text).text[:600], department])
    return path


def run(script: Path, *args: str | Path, env: dict[str, str] | None = None, timeout: float = 300) -> Any:
    """Run a console script; the completed process (stdout, stderr as text)."""
    import os

    return subprocess.run(
        [str(script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **QUIET_TF, **(env or {})},
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every JSON line of a file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
