"""A small argparse frame shared by both console scripts: subcommands registered from modules."""

from __future__ import annotations

import argparse
import importlib
import logging
import math
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
    """Parse, set up logging once, run the chosen handler.

    Project errors and file-system errors (a path that cannot be read or written) become one line on
    standard error and exit code 2; anything else is a bug and keeps its traceback.
    """
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (TicketRouterError, OSError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message holds
        print(f"{parser.prog} {args.command}: error: {message}", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: an integer in ``[low, high]`` (no upper bound when ``high`` is None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse


def bounded_float(low: float, high: float, open_low: bool = False, open_high: bool = False) -> Callable[[str], float]:
    """An argparse ``type``: a finite number in ``[low, high]``; ``open_*`` excludes that end."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        inside = (low < value if open_low else low <= value) and (value < high if open_high else value <= high)
        if not math.isfinite(value) or not inside:
            left, right = "(" if open_low else "[", ")" if open_high else "]"
            raise argparse.ArgumentTypeError(f"must be a number in {left}{low:g}, {high:g}{right}, got {text!r}")
        return value

    return parse


unit_interval = bounded_float(0.0, 1.0)
"""An argparse ``type`` for thresholds: a finite number in [0, 1]."""
positive_int = bounded_int(1)
"""An argparse ``type`` for counts and sizes: an integer of at least 1."""
