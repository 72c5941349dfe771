"""Priority of a routed event from its predicted label, through a label-to-priority CSV the bank can edit."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from classifier.prediction import Prediction
from core.errors import ConfigError

Priority = Literal["urgent", "normal"]
PRIORITIES: tuple[str, ...] = get_args(Priority)
PRIORITY_HEADER = "priority"
DEFAULT_PRIORITY_FILE = Path(__file__).with_name("priorities.csv")
"""Shipped default: the card-fraud, lost-card and unrecognised-payment intents of Banking77 and CLINC150."""
URGENT_MASS = 0.3
"""Default share of probability the urgent labels must hold together for an event to be urgent even when its
best label is not (a lost card worded like a card-delivery question)."""
MAX_FILE_BYTES = 1_000_000
MAX_LABEL_CHARS = 200


@dataclass(frozen=True)
class PriorityMap:
    """The labels whose events are urgent, and the probability they must hold together (``mass``) to make an
    event urgent whose best label is not."""

    urgent: frozenset[str] = frozenset()
    mass: float = URGENT_MASS

    def of(self, label: str) -> Priority:
        """``urgent`` when ``label`` is listed as urgent, else ``normal``."""
        return "urgent" if label in self.urgent else "normal"

    def of_prediction(self, prediction: Prediction) -> Priority:
        """``urgent`` when the predicted label is urgent or the urgent labels among its most likely ones hold at
        least ``mass`` of the probability; else ``normal``."""
        if prediction.label in self.urgent:
            return "urgent"
        held = sum(p for label, p in prediction.top_labels if label in self.urgent)
        return "urgent" if self.urgent and held >= self.mass else "normal"


def parse_priorities(text: str, name: str = "priority file") -> PriorityMap:
    """A :class:`PriorityMap` from CSV text with columns ``label,priority``; :class:`ConfigError` naming the line."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    priorities: dict[str, str] = {}
    try:
        if reader.fieldnames is None or not {"label", "priority"} <= set(reader.fieldnames):
            raise ConfigError(f"{name}: the first line must name the columns label,priority")
        for row in reader:
            label, priority = (row.get(column) for column in ("label", "priority"))
            where = f"{name}, line {reader.line_num}"
            if not isinstance(label, str) or not isinstance(priority, str):
                raise ConfigError(f"{where}: expected two fields, label and priority")
            label, priority = label.strip(), priority.strip()
            if not label or len(label) > MAX_LABEL_CHARS or not label.isprintable():
                raise ConfigError(f"{where}: a label must be 1 to {MAX_LABEL_CHARS} printable characters")
            if priority not in PRIORITIES:
                raise ConfigError(f"{where}: priority must be urgent or normal, not {priority[:40]!r}")
            if priorities.setdefault(label, priority) != priority:
                raise ConfigError(f"{where}: label {label!r} is both urgent and normal")
    except csv.Error as exc:
        raise ConfigError(f"{name}, line {reader.line_num}: not valid CSV ({exc})") from None
    return PriorityMap(frozenset(label for label, p in priorities.items() if p == "urgent"))


def load_priorities(path: Path) -> PriorityMap:
    """The priority map of a UTF-8 CSV file; :class:`ConfigError` when it is missing, too large or malformed."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the priority file {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(f"priority file {path} is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"priority file {path} is not UTF-8 text") from None
    return parse_priorities(text, str(path))
