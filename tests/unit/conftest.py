"""Unit tests run apart from the shell's configuration: no deployable's ``TICKET_<APP>_*`` variable reaches them."""

from __future__ import annotations

import os

import pytest

SETTINGS_PREFIXES = ("TICKET_ROUTER_", "TICKET_TRAINER_", "TICKET_CONSOLE_")


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the variables the settings classes read; a test sets the ones it means with ``monkeypatch``."""
    for name in os.environ:
        if name.startswith(SETTINGS_PREFIXES):
            monkeypatch.delenv(name)
