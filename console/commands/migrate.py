"""``ticket-console migrate``: bring the work-item database to the newest schema, then exit."""

from __future__ import annotations

import argparse

from console.commands.serve import add_options, load_settings
from core.cli import Subparsers
from core.errors import ConfigError


def register(subparsers: Subparsers) -> None:
    """Add the ``migrate`` subcommand."""
    parser = subparsers.add_parser(
        "migrate",
        help="create or upgrade the work-item database's tables (serve does it too at start)",
        description="Apply the console's Alembic migrations to TICKET_CONSOLE_DATABASE_URL and exit.",
    )
    add_options(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from console.db import make_engine, upgrade

    engine = make_engine(load_settings(args).database_url.get_secret_value())
    try:
        upgrade(engine)
    except DBAPIError as exc:
        raise ConfigError(f"cannot migrate the work-item database: {type(exc).__name__}: {exc.orig}") from exc
    finally:
        engine.dispose()
    print("work-item database is at the newest schema")  # noqa: T201 - the command's answer
    return 0
