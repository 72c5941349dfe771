"""Kafka settings validate early and produce client arguments without leaking secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from console.settings import ConsoleSettings
from service.settings import RouterSettings
from streaming.kafka_config import CONSUMER_GROUP_DEFAULTS, KafkaSettings, consumer_kwargs
from training.settings import TrainerSettings


def test_bad_bootstrap_is_refused() -> None:
    with pytest.raises(ValidationError, match="host:port"):
        KafkaSettings(bootstrap_servers="localhost")


def test_sasl_needs_credentials() -> None:
    with pytest.raises(ValidationError, match="SASL needs"):
        KafkaSettings(security_protocol="SASL_SSL")


def test_client_kwargs_carry_secret_only_to_the_client() -> None:
    settings = KafkaSettings(
        bootstrap_servers="a:1, b:2",
        security_protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username="u",
        sasl_password="hunter2",  # type: ignore[arg-type]
    )
    assert "hunter2" not in repr(settings)
    kwargs = settings.client_kwargs()
    assert kwargs["bootstrap_servers"] == ["a:1", "b:2"]
    assert kwargs["sasl_plain_password"] == "hunter2"


def test_consumer_defaults_suit_fast_group_joins() -> None:
    kwargs = consumer_kwargs(KafkaSettings(), "g", max_poll_records=5)
    assert kwargs["session_timeout_ms"] == CONSUMER_GROUP_DEFAULTS["session_timeout_ms"] == 6000
    assert kwargs["enable_auto_commit"] is False and kwargs["max_poll_records"] == 5


def test_unprefixed_settings_never_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTSTRAP_SERVERS", "elsewhere.example:9093")
    monkeypatch.setenv("SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("SASL_PASSWORD", "ambient-secret")
    assert KafkaSettings() == KafkaSettings(bootstrap_servers="127.0.0.1:9092")
    assert KafkaSettings(bootstrap_servers="a:1").bootstrap_servers == "a:1", "arguments still count"
    assert RouterSettings().bootstrap_servers == "127.0.0.1:9092", "no prefix, no match for a deployable"


@pytest.mark.parametrize(
    ("cls", "prefix"),
    [(RouterSettings, "TICKET_ROUTER_"), (TrainerSettings, "TICKET_TRAINER_"), (ConsoleSettings, "TICKET_CONSOLE_")],
)
def test_each_deployable_reads_its_prefixed_variables(
    monkeypatch: pytest.MonkeyPatch, cls: type[KafkaSettings], prefix: str
) -> None:
    monkeypatch.setenv(f"{prefix}BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv(f"{prefix}SECURITY_PROTOCOL", "SSL")
    settings = cls()
    assert settings.bootstrap_servers == "k1:9092,k2:9092" and settings.security_protocol == "SSL"
