"""``ticket-router serve``: the long-running router (settings from TICKET_ROUTER_* and options)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.cli import Subparsers, unit_interval
from core.errors import ConfigError
from schemas.common import describe_validation_error
from service.allocator import ensure_allocator
from service.settings import ENV_PREFIX, RouterSettings

logger = logging.getLogger(__name__)

# Options that override one settings field each; every other field is set by environment only.
OPTIONS: dict[str, tuple[str, Callable[[str], object], str]] = {
    "--bootstrap-servers": ("bootstrap_servers", str, "Kafka brokers, host:port[,host:port]"),
    "--group-id": ("group_id", str, "consumer group"),
    "--input-topics": ("input_topics", str, "comma-separated input topics"),
    "--delivery": ("delivery", str, "exactly_once or at_least_once"),
    "--batch-size": ("batch_size", int, "most records per micro-batch"),
    "--batch-wait-ms": ("batch_wait_ms", int, "longest wait to fill a batch"),
    "--threshold": ("triage_threshold", unit_interval, "triage confidence threshold in [0, 1] (default: the bundle's)"),
    "--registry": ("registry", Path, "model registry folder"),
    "--model": ("model_path", Path, "serve this bundle instead of the registry's current one"),
    "--http-port": ("http_port", int, "port of /metrics, /healthz, /readyz (0: any free port)"),
}


def settings_help() -> str:
    """The environment variables of the router, for --help."""
    lines = ["environment (each also settable as an option where one exists):"]
    for name, field in RouterSettings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, frozenset):
            default = ",".join(sorted(default))
        lines.append(f"  {ENV_PREFIX}{name.upper():<26} {field.description or ''} (default: {default})")
    return "\n".join(lines)


def register(subparsers: Subparsers) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run the router: consume tickets, classify in micro-batches, publish to department topics",
        description="Consume complaint and social-post events, classify them in micro-batches with the registry's "
        "current model and publish each to routed.<department> (or the dead-letter topic). Exactly-once by default. "
        "SIGTERM/SIGINT drain the batch in flight, commit and exit.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for option, (dest, kind, text) in OPTIONS.items():
        parser.add_argument(option, dest=dest, type=kind, default=None, help=text)
    parser.set_defaults(handler=_run)


def load_settings(args: argparse.Namespace) -> RouterSettings:
    """Environment first, options on top; a readable error naming the setting when a value is bad."""
    return settings_with({dest: getattr(args, dest, None) for dest, _, _ in OPTIONS.values()})


def settings_with(overrides: dict[str, Any]) -> RouterSettings:
    """The router settings from the environment with the given (non-None) values on top; :class:`ConfigError`
    naming the setting when a value is bad."""
    try:
        return RouterSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {describe_validation_error(exc)}") from None


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    ensure_allocator(settings.allocator)  # may re-execute this process with the allocator preloaded
    from service.assembly import RouterApp

    app = RouterApp(settings)
    app.load_model()

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("signal %d: finishing the batch in flight, then exiting", signum)
        app.router.stop()
        # Bound the drain: if the broker is away the final commit could otherwise wait for a long time.
        timer = threading.Timer(settings.shutdown_timeout_s, _force_exit)
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    app.run()
    return 0


def _force_exit() -> None:
    logger.error("shutdown did not finish in time; exiting without a final commit")
    logging.shutdown()
    os._exit(1)
