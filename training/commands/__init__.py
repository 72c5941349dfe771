"""Subcommands of ``ticket-trainer``, one module each with ``register(subparsers)``."""
