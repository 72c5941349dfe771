"""Logging set up once per console script: one line per record, ids and offsets, never message text."""

from __future__ import annotations

import logging
import os


def setup_logging(level: str | None = None) -> None:
    """Configure the root logger from ``level`` or ``$LOG_LEVEL`` (default INFO)."""
    chosen = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    logging.basicConfig(
        level=chosen,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # kafka-python logs every reconnect at WARNING/ERROR; keep them, drop its INFO chatter.
    logging.getLogger("kafka").setLevel(max(logging.getLevelName(chosen), logging.WARNING))
