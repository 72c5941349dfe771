"""``ticket-console``: the triage console's console script (serve, migrate)."""

from __future__ import annotations

from collections.abc import Sequence

from core.cli import build_parser, run

COMMAND_MODULES = ("console.commands.migrate", "console.commands.serve")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ticket-console``."""
    parser = build_parser(
        "ticket-console",
        "The triage console: agents route what the model was unsure of in a browser; every decision feeds the model.",
        COMMAND_MODULES,
    )
    return run(parser, argv)
