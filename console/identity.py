"""Who is calling: an agent id from the reverse proxy's header, a bearer token, or the demo's fixed agent."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from console.settings import DEMO_AGENT, ConsoleSettings
from core.errors import ConfigError

AGENT_ID = re.compile(r"^[A-Za-z0-9_.:@/\-]{1,128}$")
"""The shape of an agent id (the ``Identifier`` of the contracts: it goes into every correction)."""


class Identity(Protocol):
    """Maps a request's headers to an agent id, or ``None`` (401)."""

    def agent(self, headers: Mapping[str, str]) -> str | None:
        """The caller's agent id, or None when the request carries no valid identity."""
        ...


class ProxyHeader:
    """Trusts one header set by the bank's reverse proxy (which strips it from outside requests)."""

    def __init__(self, header: str) -> None:
        self.header = header.lower()

    def agent(self, headers: Mapping[str, str]) -> str | None:
        """The header's value when it is a well-formed agent id."""
        value = (headers.get(self.header) or "").strip()
        return value if AGENT_ID.match(value) else None


class BearerTokens:
    """``Authorization: Bearer <token>`` mapped to an agent by a secrets file; compared in constant time."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = [(token.encode(), agent) for token, agent in tokens.items()]

    @classmethod
    def from_file(cls, path: Path) -> BearerTokens:
        """Read ``agent-id token`` lines (``#`` comments and blank lines ignored)."""
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read the tokens file {path}: {exc.strerror}") from exc
        tokens: dict[str, str] = {}
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2 or not AGENT_ID.match(parts[0]) or len(parts[1]) < 16:
                raise ConfigError(f"{path}:{number}: expected 'agent-id token' with a token of 16+ characters")
            tokens[parts[1]] = parts[0]
        if not tokens:
            raise ConfigError(f"{path} holds no tokens")
        return cls(tokens)

    def agent(self, headers: Mapping[str, str]) -> str | None:
        """The agent of a known bearer token."""
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        offered = token.strip().encode()
        found = None
        for known, agent in self._tokens:  # no early exit: the time does not tell which tokens exist
            if hmac.compare_digest(known, offered):
                found = agent
        return found


class Anonymous:
    """Every request is the demo agent (``TICKET_CONSOLE_AUTH=none``: the demo only)."""

    def agent(self, headers: Mapping[str, str]) -> str | None:
        """Always the demo agent."""
        return DEMO_AGENT


def identity_from(settings: ConsoleSettings) -> Identity:
    """The identity scheme the settings choose."""
    if settings.auth == "none":
        return Anonymous()
    if settings.auth == "token":
        assert settings.tokens_file is not None  # noqa: S101 - the settings validator guarantees it
        return BearerTokens.from_file(settings.tokens_file)
    return ProxyHeader(settings.identity_header)
