"""``ticket-console serve``: the long-running console (settings from TICKET_CONSOLE_* and options)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from typing import Any

from pydantic import ValidationError

from console.settings import ENV_PREFIX, ConsoleSettings
from schemas.common import describe_validation_error
from service.errors import ConfigError

logger = logging.getLogger(__name__)

# Options that override one settings field each; every other field is set by environment only.
OPTIONS: dict[str, tuple[str, type, str]] = {
    "--bootstrap-servers": ("bootstrap_servers", str, "Kafka brokers, host:port[,host:port]"),
    "--database-url": ("database_url", str, "work-item database (postgresql+psycopg://... or sqlite:///FILE)"),
    "--auth": ("auth", str, "proxy, token or none (demo only)"),
    "--http-port": ("http_port", int, "port of the page, the API and the probes (0: any free port)"),
}


def settings_help() -> str:
    """The environment variables of the console, for --help."""
    lines = ["environment (each also settable as an option where one exists):"]
    for name, field in ConsoleSettings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        lines.append(f"  {ENV_PREFIX}{name.upper():<26} {field.description or ''} (default: {default})")
    return "\n".join(lines)


def load_settings(args: argparse.Namespace) -> ConsoleSettings:
    """Environment first, options on top; a readable error naming the setting when a value is bad."""
    overrides = {dest: getattr(args, dest) for dest, _, _ in OPTIONS.values() if getattr(args, dest, None) is not None}
    try:
        return ConsoleSettings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {describe_validation_error(exc)}") from None


def add_options(parser: argparse.ArgumentParser) -> None:
    """The settings options, shared by serve and migrate."""
    for option, (dest, kind, text) in OPTIONS.items():
        parser.add_argument(option, dest=dest, type=kind, default=None, help=text)


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run the console: queue triage events, serve the page and the API, publish agents' decisions",
        description="Consume the router's triage topic into the work-item database, serve the agents' page (/) and "
        "JSON API (/api, OpenAPI at /openapi.json), and publish each decision to routed.<department> and the "
        "feedback topic in one Kafka transaction. SIGTERM/SIGINT stop it gracefully.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    from console.service import ConsoleService

    service = ConsoleService(settings)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("signal %d: stopping the console", signum)
        stopping.set()
        timer = threading.Timer(settings.shutdown_timeout_s, _force_exit)
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        service.start()
        while not stopping.wait(1.0):
            pass
    finally:
        service.stop()
    logger.info("console stopped")
    return 0


def _force_exit() -> None:
    logger.error("shutdown did not finish in time; exiting")
    logging.shutdown()
    os._exit(1)
