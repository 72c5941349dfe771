"""Alembic's environment: runs the migrations on the connection ``console.db.upgrade`` hands over."""

from __future__ import annotations

from alembic import context

from console.db import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the console always passes its connection
    raise RuntimeError("run the migrations through console.db.upgrade (ticket-console migrate)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
