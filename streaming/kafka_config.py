"""Kafka connection settings shared by every client, and the client defaults that suit them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

# Group joins finish after about session_timeout_ms / 2 on the embedded broker; Kafka's default
# (45 s) would make every join and rebalance wait ~23 s.
CONSUMER_GROUP_DEFAULTS: dict[str, object] = {
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 1000,
}


class KafkaSettings(BaseSettings):
    """Bootstrap servers and security options; embedded in each deployable's settings class.

    Each deployable's subclass reads its ``TICKET_<APP>_*`` variables (its ``env_prefix``). This class itself
    has no prefix and reads only its arguments: ambient ``BOOTSTRAP_SERVERS`` or ``SASL_PASSWORD`` variables
    never reach a client built with it.
    """

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Comma-separated host:port list of Kafka brokers."
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (with SASL_*)."
    )
    sasl_username: str | None = Field(default=None, description="SASL user.")
    sasl_password: SecretStr | None = Field(default=None, description="SASL password (secret: never logged).")
    ssl_cafile: Path | None = Field(default=None, description="CA bundle to verify the brokers.")
    ssl_certfile: Path | None = Field(default=None, description="Client certificate (mutual TLS).")
    ssl_keyfile: Path | None = Field(default=None, description="Client key (mutual TLS).")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment only with an env prefix (a deployable's class); without one, the arguments alone."""
        if not settings_cls.model_config.get("env_prefix"):
            return (init_settings,)
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    @field_validator("bootstrap_servers")
    @classmethod
    def _host_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port...], got {server.strip()!r}")
        return value

    @model_validator(mode="after")
    def _sasl_complete(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL") and not (
            self.sasl_mechanism and self.sasl_username and self.sasl_password
        ):
            raise ValueError("SASL needs sasl_mechanism, sasl_username and sasl_password")
        return self

    def client_kwargs(self) -> dict[str, object]:
        """Keyword arguments for any kafka-python client (producer, consumer, admin)."""
        kwargs: dict[str, object] = {
            "bootstrap_servers": [s.strip() for s in self.bootstrap_servers.split(",")],
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = self.sasl_password.get_secret_value() if self.sasl_password else None
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = str(value)
        return kwargs


def consumer_kwargs(kafka: KafkaSettings, group_id: str | None, **overrides: object) -> dict[str, object]:
    """Consumer keyword arguments: connection, group defaults, manual commits; ``overrides`` win."""
    kwargs = {
        **kafka.client_kwargs(),
        **CONSUMER_GROUP_DEFAULTS,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
    }
    kwargs.update(overrides)
    return kwargs
