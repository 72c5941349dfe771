"""``ticket-router redrive``: send selected dead letters back to their source topic once the cause is fixed."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import get_args

from pydantic import ValidationError

from core.cli import Subparsers
from core.errors import ConfigError
from schemas.common import describe_validation_error, utc_now
from schemas.outputs import DeadLetterReason
from service.redrive_plan import Planned, Selection, Tally
from service.routing import InRecord
from service.settings import RouterSettings

_AGO = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_instant(text: str) -> datetime:
    """An ISO-8601 date or time (UTC when no zone is given), or an age such as ``30m``, ``2h``, ``7d``."""
    ago = _AGO.match(text.strip())
    if ago:
        return utc_now() - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"not an ISO-8601 time or an age like 2h: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def register(subparsers: Subparsers) -> None:
    """Add the ``redrive`` subcommand."""
    parser = subparsers.add_parser(
        "redrive",
        help="re-publish selected dead letters to their source topic (after the producer or contract is fixed)",
        description="Read the dead-letter topic up to its end at start, in a consumer group of its own (never the "
        "router's), and re-publish the raw value of each selected dead letter to its source topic (or --to-topic) "
        "in Kafka transactions, with a redrive-count header. Records redriven --max-redrives times already, and "
        "values that were truncated, are refused. Prints progress on stderr and a JSON summary on stdout. "
        "Connection, security and topic names come from the router's TICKET_ROUTER_* settings. Without "
        "--group-id, each selection (filters and --to-topic) has its own group: running the same command again "
        "only considers dead letters that arrived since.",
    )
    choose = parser.add_argument_group("selection (filters combine with AND; a repeated filter is an OR)")
    choose.add_argument("--reason", action="append", choices=get_args(DeadLetterReason), help="dead-letter reason")
    choose.add_argument("--source-topic", action="append", metavar="TOPIC", help="topic the record was read from")
    choose.add_argument("--event-id", action="append", metavar="ID", help="record key or the raw event's event_id")
    choose.add_argument("--since", metavar="TIME", help="dead-lettered at or after (ISO-8601, or an age: 2h, 7d)")
    choose.add_argument("--until", metavar="TIME", help="dead-lettered before (ISO-8601, or an age: 30m)")
    parser.add_argument("--to-topic", help="publish here instead of each record's source topic")
    parser.add_argument("--max-redrives", type=int, default=3, help="refuse records redriven this often (default 3)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be sent (JSON lines); send nothing")
    parser.add_argument("--group-id", help="consumer group of this redrive (default: <router group>-redrive-<hash>)")
    parser.add_argument("--from-beginning", action="store_true", help="ignore the group's position: read it all")
    parser.add_argument("--bootstrap-servers", help="Kafka brokers (default: TICKET_ROUTER_BOOTSTRAP_SERVERS)")
    parser.add_argument("--dlq-topic", help="dead-letter topic (default: TICKET_ROUTER_DLQ_TOPIC)")
    parser.add_argument("--batch-size", type=int, default=500, help="records per transaction (default 500)")
    parser.add_argument("--progress-every", type=float, default=2.0, metavar="S", help="progress line interval")
    parser.set_defaults(handler=_run)


def _settings(args: argparse.Namespace) -> RouterSettings:
    overrides = {k: v for k, v in (("bootstrap_servers", args.bootstrap_servers), ("dlq_topic", args.dlq_topic)) if v}
    try:
        return RouterSettings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {describe_validation_error(exc)}") from None


def _selection(args: argparse.Namespace) -> Selection:
    since = parse_instant(args.since) if args.since else None
    until = parse_instant(args.until) if args.until else None
    if since and until and since >= until:
        raise ConfigError("--since must be before --until")
    return Selection(
        reasons=frozenset(args.reason or ()),
        source_topics=frozenset(args.source_topic or ()),
        event_ids=frozenset(args.event_id or ()),
        since=since,
        until=until,
    )


def default_group(router_group: str, args: argparse.Namespace) -> str:
    """``<router group>-redrive-<hash of the filters as typed and --to-topic>``: one group per selection."""
    typed = [sorted(args.reason or ()), sorted(args.source_topic or ()), sorted(args.event_id or ())]
    typed += [args.since, args.until, args.to_topic]
    return f"{router_group}-redrive-{hashlib.sha256(json.dumps(typed).encode()).hexdigest()[:10]}"


def _describe(planned: Planned, record: InRecord) -> dict[str, object] | None:
    """One dry-run line: where a selected record would go, or why it is refused (never its value)."""
    if planned.outcome == "passed_over":
        return None
    line: dict[str, object] = {"dlq": f"{record.topic}/{record.partition}/{record.offset}"}
    letter = planned.letter
    if letter is not None:
        line |= {
            "reason": letter.reason,
            "source": f"{letter.source.topic}/{letter.source.partition}/{letter.source.offset}",
            "key": letter.key,
            "failed_at": letter.failed_at.isoformat(),
            "redrives": planned.redrives,
        }
    if planned.out is not None:
        return line | {"to_topic": planned.out.topic, "bytes": len(planned.out.value)}
    return line | {"refused": planned.outcome}


def _progress(tally: Tally, expected: int) -> None:
    refused = sum(tally.outcomes[r] for r in ("max_redrives", "truncated", "not_a_dead_letter"))
    print(  # noqa: T201
        f"redrive: read {tally.read} of up to {expected}, redriven {tally.outcomes['send']}, refused {refused}",
        file=sys.stderr,
        flush=True,
    )


def _run(args: argparse.Namespace) -> int:
    from service.redrive import Redrive, RedriveOptions

    settings = _settings(args)
    selection = _selection(args)
    if args.max_redrives < 1 or args.batch_size < 1:
        raise ConfigError("--max-redrives and --batch-size must be at least 1")
    if args.to_topic == settings.dlq_topic:
        raise ConfigError("--to-topic cannot be the dead-letter topic")
    group_id = args.group_id or default_group(settings.group_id, args)
    if group_id == settings.group_id:
        raise ConfigError("the redrive needs a consumer group of its own, not the router's")
    options = RedriveOptions(
        selection=selection,
        group_id=group_id,
        max_redrives=args.max_redrives,
        to_topic=args.to_topic,
        dry_run=args.dry_run,
        from_beginning=args.from_beginning,
        batch_size=args.batch_size,
        progress_interval_s=args.progress_every,
    )

    def show(planned: Planned, record: InRecord) -> None:
        line = _describe(planned, record) if args.dry_run else None
        if line is not None:
            print(json.dumps(line), flush=True)  # noqa: T201

    redrive = Redrive(settings, options, on_planned=show, on_progress=_progress)
    tally = redrive.run()
    summary = tally.summary(args.dry_run, dlq_topic=settings.dlq_topic, group_id=group_id)
    if redrive.unfinished:
        summary["unfinished_partitions"] = redrive.unfinished
    print(json.dumps(summary), flush=True)  # noqa: T201
    return 1 if redrive.unfinished else 0
