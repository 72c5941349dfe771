"""The work-item store: ingest, list, claim, decide and return items; every change is one database transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, overload

from sqlalchemy import ColumnElement, Engine, case, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from console.db import Resolution, WorkItem
from console.queue import ItemReason, item_reason, outcome, suggestions
from schemas.outputs import Alternative, RoutedEvent, SourcePosition

logger = logging.getLogger(__name__)

LABEL_CHARS = 200
"""Width of the label columns; a label the router never writes (longer) is cut, not refused."""


class Incoming(NamedTuple):
    """One decoded triage record and where it was read."""

    routed: RoutedEvent
    position: SourcePosition


class IngestResult(NamedTuple):
    """What one batch did: items created, duplicates ignored, and records the database refused."""

    new: int
    duplicate: int
    refused: list[SourcePosition]


class NotFoundError(LookupError):
    """No item with that event id."""


class ClaimedError(RuntimeError):
    """Another agent holds a live claim on the item."""

    def __init__(self, agent: str, until: datetime) -> None:
        super().__init__(f"claimed by {agent} until {until.isoformat()}")
        self.agent = agent
        self.until = until


class AlreadyResolvedError(RuntimeError):
    """The item was decided already; ``resolution`` is the decision that won."""

    def __init__(self, resolution: Resolution) -> None:
        super().__init__(f"already resolved by {resolution.agent}")
        self.resolution = resolution


@dataclass(frozen=True)
class Decision:
    """What an agent decided, before it is written."""

    department: str
    label: str
    note: str | None
    agent: str


@dataclass(frozen=True)
class QueueStats:
    """The queue at one moment and the decisions in the stats window."""

    open_items: int
    open_by_priority: dict[str, int]
    oldest_open_age_s: float
    resolutions: dict[str, int]
    agreement_top1: float | None
    agreement_top3: float | None
    window_s: float


@overload
def storable(text: str) -> str: ...
@overload
def storable(text: None) -> None: ...
def storable(text: str | None) -> str | None:
    """Text a text column of either database keeps: PostgreSQL refuses NUL characters, so they become U+FFFD.

    The routed event itself is kept whole (JSON), and it is what gets published.
    """
    return None if text is None else text.replace("\x00", "\ufffd")


def is_connection_error(exc: BaseException) -> bool:
    """Whether a database error means the database is away (retry later) rather than this record is bad."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


class WorkStore:
    """Work items and resolutions in one database (PostgreSQL or SQLite), shared by the consumer and the API."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Callable[[], Session] = sessionmaker(engine, expire_on_commit=False)

    def ping(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            return True
        except DBAPIError:
            return False

    # ---- ingest -------------------------------------------------------------------------------------

    def ingest(self, batch: Sequence[Incoming], now: datetime) -> IngestResult:
        """Store one item per new event id in one transaction; a redelivered event changes nothing.

        The batch's new items go in with one statement; if the database refuses that, they are tried one
        by one, so a record it cannot keep (e.g. a NUL character PostgreSQL refuses) is reported and
        skipped alone. A connection error propagates, and nothing of the batch is stored.
        """
        with self._session() as session, session.begin():
            ids = [i.routed.event.event_id for i in batch]
            known = set(session.scalars(select(WorkItem.event_id).where(WorkItem.event_id.in_(ids))))
            fresh: dict[str, Incoming] = {}
            for incoming in batch:
                fresh.setdefault(incoming.routed.event.event_id, incoming)
            for event_id in known:
                fresh.pop(event_id, None)
            try:
                with session.begin_nested():
                    rows = [_new_item(i.routed, item_reason(i.routed), now, i.position) for i in fresh.values()]
                    if rows:
                        session.execute(insert(WorkItem), rows)
                return IngestResult(len(fresh), len(batch) - len(fresh), [])
            except DBAPIError as exc:
                if is_connection_error(exc):
                    raise
                problem = type(exc.orig).__name__
            except Exception as exc:  # noqa: BLE001 - one bad record never stops the queue: found one by one below
                problem = type(exc).__name__
            logger.info("a batch of %d items was refused (%s); storing them one by one", len(fresh), problem)
            return self._ingest_one_by_one(session, list(fresh.values()), len(batch), now)

    def _ingest_one_by_one(self, session: Session, fresh: list[Incoming], total: int, now: datetime) -> IngestResult:
        new = 0
        refused: list[SourcePosition] = []
        for incoming in fresh:
            try:
                with session.begin_nested():
                    row = _new_item(incoming.routed, item_reason(incoming.routed), now, incoming.position)
                    session.execute(insert(WorkItem), [row])
                new += 1
            except IntegrityError:
                pass  # the same event inserted meanwhile by another replica: a duplicate
            except DBAPIError as exc:
                if is_connection_error(exc):
                    raise
                refused.append(incoming.position)
            except Exception:  # noqa: BLE001 - one bad record never stops the queue (issue #17's policy)
                logger.exception("storing the item of %s failed", incoming.routed.event.event_id)
                refused.append(incoming.position)
        return IngestResult(new, total - new - len(refused), refused)

    # ---- reading ------------------------------------------------------------------------------------

    def list_items(
        self,
        agent: str,
        now: datetime,
        status: str = "open",
        department: str | None = None,
        priority: str | None = None,
        limit: int = 50,
    ) -> list[WorkItem]:
        """Items in queue order (urgent first, then oldest); open items claimed by someone else are hidden."""
        query = select(WorkItem).where(WorkItem.status == status)
        if status == "open":
            query = query.where(
                or_(WorkItem.claimed_until.is_(None), WorkItem.claimed_until <= now, WorkItem.claimed_by == agent)
            )
        if department:
            query = query.where(WorkItem.top_department == department)
        if priority:
            query = query.where(WorkItem.priority == priority)
        urgent_first = case((WorkItem.priority == "urgent", 0), else_=1)
        query = query.order_by(urgent_first, WorkItem.created_at, WorkItem.event_id).limit(limit)
        with self._session() as session:
            return list(session.scalars(query))

    def get(self, event_id: str) -> WorkItem:
        """One item; raises :class:`NotFoundError`."""
        with self._session() as session:
            item = session.get(WorkItem, event_id)
        if item is None:
            raise NotFoundError(event_id)
        return item

    def latest_resolution(self, event_id: str) -> Resolution | None:
        """The newest decision on an item, if any."""
        query = select(Resolution).where(Resolution.event_id == event_id).order_by(Resolution.round.desc()).limit(1)
        with self._session() as session:
            return session.scalars(query).first()

    # ---- claims and decisions -----------------------------------------------------------------------

    def claim(self, event_id: str, agent: str, now: datetime, ttl_s: float) -> WorkItem:
        """Hide an open item from other agents for ``ttl_s``; renewing one's own claim is allowed."""
        until = now + timedelta(seconds=ttl_s)
        with self._session() as session, session.begin():
            changed = (
                session.connection()
                .execute(
                    update(WorkItem)
                    .where(WorkItem.event_id == event_id, WorkItem.status == "open", _claimable(agent, now))
                    .values(claimed_by=agent, claimed_until=until)
                )
                .rowcount
            )
        if changed:
            return self.get(event_id)
        raise self._refusal(event_id)

    def resolve(self, item: WorkItem, decision: Decision, now: datetime) -> Resolution:
        """Record the decision if the item is still open in ``item``'s round: exactly one caller wins, the
        others learn who did (:class:`AlreadyResolvedError`) or who holds the claim (:class:`ClaimedError`)."""
        event_id = item.event_id
        offered = [Alternative.model_validate(s) for s in item.suggestions]
        with self._session() as session, session.begin():
            changed = (
                session.connection()
                .execute(
                    update(WorkItem)
                    .where(
                        WorkItem.event_id == event_id,
                        WorkItem.status == "open",
                        WorkItem.round == item.round,
                        _claimable(decision.agent, now),
                    )
                    .values(status="resolved", claimed_by=None, claimed_until=None)
                )
                .rowcount
            )
            if changed:
                resolution = Resolution(
                    event_id=event_id,
                    round=item.round,
                    agent=decision.agent,
                    department=decision.department,
                    label=storable(decision.label)[:LABEL_CHARS],
                    outcome=outcome(decision.department, offered),
                    note=storable(decision.note),
                    model_department=offered[0].department if offered else item.top_department,
                    model_label=storable(str(item.routed.get("label", "")))[:LABEL_CHARS],
                    model_confidence=float(item.routed.get("confidence", 0.0)),
                    resolved_at=now,
                )
                session.add(resolution)
        if changed:
            return resolution
        raise self._refusal(event_id)

    def _refusal(self, event_id: str) -> Exception:
        """Why a conditional update changed nothing: resolved already, claimed by another, or gone."""
        item = self.get(event_id)
        resolution = self.latest_resolution(event_id) if item.status != "open" else None
        if resolution is not None:
            return AlreadyResolvedError(resolution)
        if item.claimed_by is not None and item.claimed_until is not None:
            return ClaimedError(item.claimed_by, item.claimed_until)
        return NotFoundError(event_id)  # changed under us (e.g. returned meanwhile): the caller may retry

    def mark_published(self, resolution_id: int, now: datetime) -> None:
        """Note that a decision's records are on Kafka."""
        with self._session() as session, session.begin():
            session.execute(update(Resolution).where(Resolution.id == resolution_id).values(published_at=now))

    def unpublished(self, older_than: datetime, limit: int = 100) -> list[Resolution]:
        """Decisions whose records did not reach Kafka yet (the publish failed or the process stopped)."""
        query = (
            select(Resolution)
            .where(Resolution.published_at.is_(None), Resolution.resolved_at <= older_than)
            .order_by(Resolution.id)
            .limit(limit)
        )
        with self._session() as session:
            return list(session.scalars(query))

    # ---- returns ------------------------------------------------------------------------------------

    def put_back(self, routed: RoutedEvent | None, event_id: str, note: str | None, by: str, now: datetime) -> WorkItem:
        """Queue an event a department sent back (reason ``returned``); a known item is reopened for a new round."""
        with self._session() as session, session.begin():
            item = session.get(WorkItem, event_id, with_for_update=True)
            if item is None:
                if routed is None:
                    raise NotFoundError(event_id)
                item = WorkItem(**_new_item(routed, "returned", now, None))
                session.add(item)
            else:
                if item.status == "open" and item.reason == "returned":
                    return item  # returned twice: one item, the first note stays
                if item.status != "open":
                    item.round += 1
                if routed is not None:
                    item.routed = routed.model_dump(mode="json")
                item.status, item.reason, item.queued_at = "open", "returned", now
                item.claimed_by = item.claimed_until = None
            item.note, item.returned_by = storable(note), by
        return self.get(event_id)

    # ---- figures ------------------------------------------------------------------------------------

    def stats(self, now: datetime, window_s: float) -> QueueStats:
        """Open items, the oldest one's age, and decisions and agreement with the model within the window."""
        since = now - timedelta(seconds=window_s)
        with self._session() as session:
            by_priority = dict(
                session.execute(
                    select(WorkItem.priority, func.count()).where(WorkItem.status == "open").group_by(WorkItem.priority)
                ).all()
            )
            oldest = session.scalar(select(func.min(WorkItem.queued_at)).where(WorkItem.status == "open"))
            outcomes: dict[str, int] = dict(
                session.execute(
                    select(Resolution.outcome, func.count())
                    .where(Resolution.resolved_at >= since)
                    .group_by(Resolution.outcome)
                ).all()
            )
        if oldest is not None and oldest.tzinfo is None:  # an aggregate skips the column type on SQLite
            oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=now.tzinfo)
        decided = sum(outcomes.values())
        top1 = outcomes.get("top1", 0)
        return QueueStats(
            open_items=sum(by_priority.values()),
            open_by_priority=by_priority,
            oldest_open_age_s=max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0,
            resolutions=outcomes,
            agreement_top1=top1 / decided if decided else None,
            agreement_top3=(top1 + outcomes.get("top3", 0)) / decided if decided else None,
            window_s=window_s,
        )


def _claimable(agent: str, now: datetime) -> ColumnElement[bool]:
    return or_(WorkItem.claimed_until.is_(None), WorkItem.claimed_until <= now, WorkItem.claimed_by == agent)


def _new_item(
    routed: RoutedEvent, reason: ItemReason, now: datetime, position: SourcePosition | None
) -> dict[str, object]:
    """The column values of a new work item (a plain dict: bulk inserts skip building ORM objects)."""
    offered = suggestions(routed)
    event = routed.event
    return dict(
        event_id=event.event_id,
        kind=event.kind,
        text=storable(event.text),
        created_at=event.created_at,
        queued_at=now,
        reason=reason,
        priority=routed.priority,
        top_department=offered[0].department if offered else routed.department,
        routed=routed.model_dump(mode="json"),
        suggestions=[a.model_dump(mode="json") for a in offered],
        explanation=list(routed.explanation),
        status="open",
        round=1,
        source_topic=position.topic if position else None,
        source_partition=position.partition if position else None,
        source_offset=position.offset if position else None,
    )
