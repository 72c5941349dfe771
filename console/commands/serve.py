"""``ticket-console serve``: the long-running console (settings from TICKET_CONSOLE_* and options)."""

from __future__ import annotations

import argparse
import logging

from console.settings import ENV_PREFIX, ConsoleSettings
from core.cli import Options, Subparsers, add_settings_options, serve_until_signalled, settings_epilog, settings_from

logger = logging.getLogger(__name__)

OPTIONS: Options = {
    "--bootstrap-servers": ("bootstrap_servers", str, "Kafka brokers, host:port[,host:port]"),
    "--database-url": ("database_url", str, "work-item database (postgresql+psycopg://... or sqlite:///FILE)"),
    "--auth": ("auth", str, "proxy, token or none (demo only)"),
    "--http-port": ("http_port", int, "port of the page, the API and the probes (0: any free port)"),
}


def load_settings(args: argparse.Namespace) -> ConsoleSettings:
    """Environment first, options on top; a readable error naming the setting when a value is bad."""
    return settings_from(ConsoleSettings, OPTIONS, args)


def add_options(parser: argparse.ArgumentParser) -> None:
    """The settings options, shared by serve and migrate."""
    add_settings_options(parser, OPTIONS)


def register(subparsers: Subparsers) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve",
        help="run the console: queue triage events, serve the page and the API, publish agents' decisions",
        description="Consume the router's triage topic into the work-item database, serve the agents' page (/) and "
        "JSON API (/api, OpenAPI at /openapi.json), and publish each decision to routed.<department> and the "
        "feedback topic in one Kafka transaction. SIGTERM/SIGINT stop it gracefully.",
        epilog=settings_epilog(ConsoleSettings, ENV_PREFIX),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    from console.assembly import ConsoleService

    service = ConsoleService(settings)
    serve_until_signalled(service.start, service.stop, settings.shutdown_timeout_s)
    logger.info("console stopped")
    return 0
