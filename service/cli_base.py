"""A small argparse frame shared by both console scripts: subcommands registered from modules."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from service.errors import TicketRouterError
from service.logconfig import setup_logging

logger = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]


def build_parser(prog: str, description: str, command_modules: Sequence[str]) -> argparse.ArgumentParser:
    """A parser whose subcommands come from modules that each define ``register(subparsers)``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR (default: $LOG_LEVEL or INFO)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in command_modules:
        importlib.import_module(name).register(subparsers)
    return parser


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse, set up logging once, run the chosen handler; project errors become a message and exit 2."""
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    handler: Handler = args.handler
    try:
        return handler(args)
    except TicketRouterError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130
