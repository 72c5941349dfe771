"""``ticket-router schemas``: write the JSON Schema of every event contract."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add the ``schemas`` subcommand."""
    parser = subparsers.add_parser(
        "schemas",
        help="write JSON Schemas of the event contracts",
        description="Write <name>.schema.json for every contract (input events, routed events, dead letters, "
        "feedback, model manifest, loans, forecasts) so other teams can validate without Python.",
    )
    parser.add_argument("--out", type=Path, default=Path("schemas-json"), help="output folder (default: schemas-json)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from schemas.export import write_schemas

    for path in write_schemas(args.out):
        print(path)  # noqa: T201
    return 0
