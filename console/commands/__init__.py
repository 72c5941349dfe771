"""Subcommands of ``ticket-console``, one module each."""
