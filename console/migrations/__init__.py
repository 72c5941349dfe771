"""Alembic migrations of the console's work-item database."""
