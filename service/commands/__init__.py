"""Subcommands of ``ticket-router``, one module each with ``register(subparsers)``."""
