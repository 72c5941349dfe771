"""Agent identity: the proxy's header, bearer tokens from a secrets file, and the demo's fixed agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.identity import Anonymous, BearerTokens, ProxyHeader, identity_from
from console.settings import ConsoleSettings
from core.errors import ConfigError


def test_the_proxy_header_names_the_agent() -> None:
    identity = ProxyHeader("X-Forwarded-User")
    assert identity.agent({"x-forwarded-user": "alice@bank"}) == "alice@bank"
    assert identity.agent({"x-forwarded-user": "  bob  "}) == "bob"


@pytest.mark.parametrize("value", [None, "", "   ", "alice smith", "a" * 129, "<script>", "ali\nce"])
def test_a_missing_or_malformed_header_is_no_identity(value: str | None) -> None:
    headers = {} if value is None else {"x-forwarded-user": value}
    assert ProxyHeader("X-Forwarded-User").agent(headers) is None


def test_bearer_tokens_come_from_the_secrets_file(tmp_path: Path) -> None:
    secrets = tmp_path / "tokens"
    secrets.write_text("# agent token\nalice 0123456789abcdef0123\n\nbob   fedcba9876543210fedc\n")
    identity = BearerTokens.from_file(secrets)
    assert identity.agent({"authorization": "Bearer 0123456789abcdef0123"}) == "alice"
    assert identity.agent({"authorization": "bearer fedcba9876543210fedc"}) == "bob"
    for header in ("Bearer wrong-token-000000000", "Basic 0123456789abcdef0123", "Bearer ", "0123456789abcdef0123"):
        assert identity.agent({"authorization": header}) is None
    assert identity.agent({}) is None


@pytest.mark.parametrize("content", ["", "# nothing\n", "alice short\n", "alice\n", "bad id 0123456789abcdef0123\n"])
def test_a_bad_secrets_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    secrets = tmp_path / "tokens"
    secrets.write_text(content)
    with pytest.raises(ConfigError):
        BearerTokens.from_file(secrets)


def test_a_missing_secrets_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        BearerTokens.from_file(tmp_path / "absent")


def test_the_settings_choose_the_scheme(tmp_path: Path) -> None:
    secrets = tmp_path / "tokens"
    secrets.write_text("alice 0123456789abcdef0123\n")
    assert isinstance(identity_from(ConsoleSettings()), ProxyHeader)
    assert isinstance(identity_from(ConsoleSettings(auth="token", tokens_file=secrets)), BearerTokens)
    assert identity_from(ConsoleSettings(auth="none")).agent({}) == "demo"
    assert isinstance(identity_from(ConsoleSettings(auth="none")), Anonymous)


def test_token_auth_needs_a_file() -> None:
    with pytest.raises(ValueError, match="tokens_file"):
        ConsoleSettings(auth="token")


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKET_CONSOLE_DATABASE_URL", "postgresql+psycopg://console:secret@db:5432/console")
    monkeypatch.setenv("TICKET_CONSOLE_HTTP_PORT", "9999")
    monkeypatch.setenv("TICKET_CONSOLE_BOOTSTRAP_SERVERS", "kafka:19092")
    settings = ConsoleSettings()
    assert settings.http_port == 9999 and settings.bootstrap_servers == "kafka:19092"
    assert "secret" not in repr(settings)
    assert settings.triage_topic == "routed.triage" and settings.feedback_topic == "tickets.feedback"
    assert settings.routed_topic("cards") == "routed.cards"
