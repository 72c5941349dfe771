"""Durable SQLite store of agents' corrections, one row per ticket (the latest correction wins)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from classifier.masking import mask_text
from core.errors import ConfigError
from schemas.feedback import Feedback

SCHEMA = """
CREATE TABLE IF NOT EXISTS corrections (
    ticket_id TEXT PRIMARY KEY,
    text TEXT,
    source_topic TEXT,
    source_partition INTEGER,
    source_offset INTEGER,
    routed_department TEXT,
    correct_department TEXT NOT NULL,
    agent TEXT NOT NULL,
    created_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    fetch_attempts INTEGER NOT NULL DEFAULT 0,
    refresh_id TEXT
);
CREATE INDEX IF NOT EXISTS corrections_new ON corrections (refresh_id) WHERE refresh_id IS NULL;
"""

MAX_FETCH_ATTEMPTS = 5
"""A referenced routed event that cannot be read this many times is given up (the correction stays, unused)."""


class StoreOutcome(StrEnum):
    """What writing one correction did."""

    NEW = "new"
    UPDATED = "updated"
    STALE = "stale"
    """Older than (or identical to) the correction already stored for the ticket: nothing changed."""


class Correction(NamedTuple):
    """A stored correction whose text is known: one labelled training or evaluation example."""

    ticket_id: str
    text: str
    department: str


class PendingText(NamedTuple):
    """A correction that references a routed event whose text has not been read yet."""

    ticket_id: str
    topic: str
    partition: int
    offset: int


def _iso(value: datetime) -> str:
    # Feedback timestamps are UTC (schemas.common.UtcDatetime); fixed-width ISO strings sort in time order.
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FeedbackStore:
    """Corrections keyed by ticket id in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def open(self) -> FeedbackStore:
        """Create the file and table if needed (idempotent)."""
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                raise ConfigError(f"cannot open the feedback store {self.path}: {exc}") from exc
            self._db = db
        return self

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> FeedbackStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if self._db is None:
            raise RuntimeError("the feedback store is not open")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def add(self, feedback: Feedback, received_at: datetime) -> StoreOutcome:
        """Store one correction durably, its text masked; a newer one for the ticket replaces it and counts as new."""
        ref = feedback.routed_event
        row = (
            None if feedback.text is None else mask_text(feedback.text).text,  # the store never holds clear data
            ref.topic if ref else None,
            ref.partition if ref else None,
            ref.offset if ref else None,
            feedback.routed_department,
            feedback.correct_department,
            feedback.agent,
            _iso(feedback.created_at),
            _iso(received_at),
        )
        with self._transaction() as db:
            old = db.execute(
                "SELECT text, source_topic, source_partition, source_offset, routed_department, correct_department,"
                " agent, created_at FROM corrections WHERE ticket_id = ?",
                (feedback.ticket_id,),
            ).fetchone()
            if old is None:
                db.execute(
                    "INSERT INTO corrections (ticket_id, text, source_topic, source_partition, source_offset,"
                    " routed_department, correct_department, agent, created_at, received_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (feedback.ticket_id, *row),
                )
                return StoreOutcome.NEW
            # Latest created_at wins; on a tie the one read later wins unless it is the same correction
            # delivered again (at-least-once), which must not count as new.
            same = tuple(old[1:8]) == row[1:8] and (row[0] is None or row[0] == old[0])
            if row[7] < old[7] or same:
                return StoreOutcome.STALE
            keep_text = row[0] if row[0] is not None else (old[0] if row[1:4] == tuple(old[1:4]) else None)
            db.execute(
                "UPDATE corrections SET text = ?, source_topic = ?, source_partition = ?, source_offset = ?,"
                " routed_department = ?, correct_department = ?, agent = ?, created_at = ?, received_at = ?,"
                " fetch_attempts = 0, refresh_id = NULL WHERE ticket_id = ?",
                (keep_text, *row[1:], feedback.ticket_id),
            )
            return StoreOutcome.UPDATED

    def count(self) -> int:
        """Every stored correction (one per ticket)."""
        with self._transaction() as db:
            return int(db.execute("SELECT COUNT(*) FROM corrections").fetchone()[0])

    def count_new(self) -> int:
        """Corrections with text that no refresh has seen yet: what the refresh trigger counts."""
        with self._transaction() as db:
            query = "SELECT COUNT(*) FROM corrections WHERE refresh_id IS NULL AND text IS NOT NULL"
            return int(db.execute(query).fetchone()[0])

    def corrections(self) -> list[Correction]:
        """Every correction whose text is known, ordered by ticket id (deterministic for training)."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT ticket_id, text, correct_department FROM corrections WHERE text IS NOT NULL ORDER BY ticket_id"
            ).fetchall()
        return [Correction(*row) for row in rows]

    def mark_refreshed(self, ticket_ids: Sequence[str], refresh_id: str, read_at: datetime | None = None) -> int:
        """Record that a refresh has seen these corrections, so they stop counting as new; returns rows changed.

        With ``read_at`` (when the refresh read the store), a correction replaced after that moment stays
        new: the refresh trained on its older version.
        """
        cutoff = _iso(read_at) if read_at is not None else "9999"
        with self._transaction() as db:
            changed = 0
            for ticket_id in ticket_ids:
                changed += db.execute(
                    "UPDATE corrections SET refresh_id = ? WHERE ticket_id = ? AND refresh_id IS NULL"
                    " AND received_at <= ?",
                    (refresh_id, ticket_id, cutoff),
                ).rowcount
            return changed

    def pending_texts(self, limit: int = 500) -> list[PendingText]:
        """Corrections that only reference a routed event, still worth trying to read."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT ticket_id, source_topic, source_partition, source_offset FROM corrections"
                " WHERE text IS NULL AND source_topic IS NOT NULL AND fetch_attempts < ?"
                " ORDER BY source_topic, source_partition, source_offset LIMIT ?",
                (MAX_FETCH_ATTEMPTS, limit),
            ).fetchall()
        return [PendingText(*row) for row in rows]

    def resolve_texts(self, found: dict[str, str], missed: Sequence[str]) -> None:
        """Fill in texts read from routed events (masked: older events predate masking); count a failed attempt
        for the ``missed`` tickets."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE corrections SET text = ? WHERE ticket_id = ? AND text IS NULL",
                [(mask_text(text).text, ticket_id) for ticket_id, text in found.items()],
            )
            db.executemany(
                "UPDATE corrections SET fetch_attempts = fetch_attempts + 1 WHERE ticket_id = ?",
                [(ticket_id,) for ticket_id in missed],
            )
