"""``ticket-trainer serve``: the long-running trainer service (settings from TICKET_TRAINER_* and options)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path

from pydantic import ValidationError

from core.cli import Subparsers
from core.errors import ConfigError
from schemas.common import describe_validation_error
from training.settings import ENV_PREFIX, TrainerSettings

logger = logging.getLogger(__name__)

# Options that override one settings field each; every other field is set by environment only.
OPTIONS: dict[str, tuple[str, type, str]] = {
    "--bootstrap-servers": ("bootstrap_servers", str, "Kafka brokers, host:port[,host:port]"),
    "--registry": ("registry", Path, "classifier model registry folder"),
    "--feedback-store": ("feedback_store", Path, "SQLite file of the corrections"),
    "--min-new-corrections": ("min_new_corrections", int, "new corrections that trigger a refresh"),
    "--http-port": ("http_port", int, "port of the HTTP API"),
    "--forecast-bundle": ("forecast_bundle", Path, "forecast bundle folder served on /forecast"),
}


def settings_help() -> str:
    """The environment variables of the trainer, for --help."""
    lines = ["environment (each also settable as an option where one exists):"]
    for name, field in TrainerSettings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        lines.append(f"  {ENV_PREFIX}{name.upper():<28} {field.description or ''} (default: {default})")
    return "\n".join(lines)


def load_settings(args: argparse.Namespace) -> TrainerSettings:
    """Environment first, options on top; a readable error naming the setting when a value is bad."""
    overrides = {dest: getattr(args, dest) for dest, _, _ in OPTIONS.values() if getattr(args, dest, None) is not None}
    try:
        return TrainerSettings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {describe_validation_error(exc)}") from None


def register(subparsers: Subparsers) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run the trainer service: store corrections, refresh and promote the classifier, serve forecasts",
        description="Read agents' corrections from the feedback topic into a SQLite store, retrain the classifier "
        "when enough arrive (or on POST /retrain), promote the challenger only if it beats the champion, and serve "
        "the registry, jobs and loan forecasts over HTTP. SIGTERM/SIGINT stop it gracefully.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for option, (dest, kind, text) in OPTIONS.items():
        parser.add_argument(option, dest=dest, type=kind, default=None, help=text)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    from training.assembly import TrainerService

    service = TrainerService(settings)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("signal %d: stopping the trainer", signum)
        stopping.set()
        timer = threading.Timer(settings.shutdown_timeout_s + 10, _force_exit)
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        service.start()
    except BaseException:
        service.stop()
        raise
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        service.stop()
    logger.info("trainer stopped")
    return 0


def _force_exit() -> None:
    logger.error("shutdown did not finish in time; exiting")
    logging.shutdown()
    os._exit(1)
