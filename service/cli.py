"""``ticket-router``: the router's console script (serve, demo, predict, redrive, broker, schemas)."""

from __future__ import annotations

from collections.abc import Sequence

from core.cli import build_parser, run

COMMAND_MODULES = (
    "service.commands.broker",
    "service.commands.demo",
    "service.commands.predict",
    "service.commands.redrive",
    "service.commands.schemas",
    "service.commands.serve",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ticket-router``."""
    parser = build_parser(
        "ticket-router",
        "Route bank complaints and social posts from Kafka to department topics with a Bi-LSTM classifier.",
        COMMAND_MODULES,
    )
    return run(parser, argv)
