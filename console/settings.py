"""The triage console's configuration: one pydantic-settings class read from ``TICKET_CONSOLE_*`` variables."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from streaming.kafka_config import KafkaSettings

ENV_PREFIX = "TICKET_CONSOLE_"

DEFAULT_DATABASE_URL = "sqlite:///var/console.sqlite3"
"""Relative to the working directory: the checkout (``var/`` is git-ignored) or the container's data volume."""

DEMO_AGENT = "demo"
"""The agent every request is attributed to when ``TICKET_CONSOLE_AUTH=none`` (the demo only)."""


class ConsoleSettings(KafkaSettings):
    """Everything ``ticket-console serve`` needs; every field is ``TICKET_CONSOLE_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    group_id: str = Field(default="ticket-console", min_length=1, description="Consumer group of the console.")
    triage_topic: str = Field(default="routed.triage", min_length=1, description="The router's triage topic.")
    routed_topic_prefix: str = Field(default="routed.", description="Resolved events go to <prefix><department>.")
    feedback_topic: str = Field(default="tickets.feedback", min_length=1, description="Agents' corrections.")
    transactional_id: str | None = Field(
        default=None, description="Transactional id of the producer (default: <group_id>-<host>-<pid>)."
    )
    database_url: SecretStr = Field(
        default=SecretStr(DEFAULT_DATABASE_URL),
        description="SQLAlchemy URL of the work-item database: postgresql+psycopg://... or sqlite:///FILE (secret).",
    )
    auth: Literal["proxy", "token", "none"] = Field(
        default="proxy",
        description="Agent identity: proxy (a header set by the reverse proxy), token (bearer tokens), none (demo).",
    )
    identity_header: str = Field(
        default="X-Forwarded-User", min_length=1, description="Header that carries the agent id (auth=proxy)."
    )
    tokens_file: Path | None = Field(default=None, description="Secrets file of 'agent-id token' lines (auth=token).")
    claim_ttl_s: float = Field(default=300.0, gt=0, le=86_400, description="How long a claim hides an item.")
    stats_window_s: float = Field(default=86_400.0, gt=0, description="Window of the agreement-with-the-model figures.")
    max_message_bytes: int = Field(default=1_000_000, ge=1024, description="Larger triage records are refused.")
    http_host: str = Field(default="0.0.0.0", description="Address of the page, the API and the probes.")  # noqa: S104
    http_port: int = Field(default=8090, ge=0, le=65535, description="Port of the page, the API and the probes.")
    reconnect_backoff_max_s: float = Field(default=10.0, gt=0, description="Longest wait between reconnects.")
    shutdown_timeout_s: float = Field(default=30.0, gt=0, description="Longest graceful stop on SIGTERM.")

    @field_validator("tokens_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _tokens_for_token_auth(self) -> ConsoleSettings:
        if self.auth == "token" and self.tokens_file is None:
            raise ValueError("auth=token needs tokens_file")
        return self

    def routed_topic(self, department: str) -> str:
        """The topic of one department."""
        return f"{self.routed_topic_prefix}{department}"

    def transactional_id_for(self) -> str:
        """This replica's transactional id."""
        return self.transactional_id or f"{self.group_id}-{socket.gethostname()}-{os.getpid()}"
