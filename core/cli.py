"""A small argparse frame shared by the console scripts: subcommands from modules, settings options, serving."""

from __future__ import annotations

import argparse
import importlib
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeAlias, TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from core.errors import ConfigError, TicketRouterError
from core.logconfig import setup_logging
from schemas.common import describe_validation_error

logger = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]
Options = dict[str, tuple[str, type, str]]
"""``--option: (settings field, type, help)``: options that override one settings field each."""
SettingsT = TypeVar("SettingsT", bound=BaseSettings)
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What a command module's ``register(subparsers)`` receives (argparse names the class privately)."""


def add_settings_options(parser: argparse.ArgumentParser, options: Options) -> None:
    """One option per entry of ``options``, defaulting to None (the environment's value then stands)."""
    for option, (dest, kind, text) in options.items():
        parser.add_argument(option, dest=dest, type=kind, default=None, help=text)


def settings_epilog(cls: type[BaseSettings], prefix: str) -> str:
    """The environment variables of a settings class with their descriptions and defaults, for --help."""
    lines = ["environment (each also settable as an option where one exists):"]
    for name, field in cls.model_fields.items():
        default = field.get_default(call_default_factory=True)
        lines.append(f"  {prefix}{name.upper():<26} {field.description or ''} (default: {default})")
    return "\n".join(lines)


def settings_from(cls: type[SettingsT], options: Options, args: argparse.Namespace) -> SettingsT:
    """Environment first, options on top; a readable error naming the setting when a value is bad."""
    overrides = {dest: getattr(args, dest) for dest, _, _ in options.values() if getattr(args, dest, None) is not None}
    try:
        return cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {describe_validation_error(exc)}") from None


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


def serve_until_signalled(start: Callable[[], None], stop: Callable[[], None], shutdown_timeout_s: float) -> None:
    """``start()``, wait for SIGTERM/SIGINT, then ``stop()``; exit 1 if stopping outlasts the timeout."""
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("signal %d: stopping", signum)
        stopping.set()
        timer = threading.Timer(shutdown_timeout_s, _force_exit)
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        start()
        while not stopping.wait(1.0):
            pass
    finally:
        stop()


def _force_exit() -> None:
    logger.error("shutdown did not finish in time; exiting")
    logging.shutdown()
    os._exit(1)
