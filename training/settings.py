"""The trainer service's configuration: one pydantic-settings class read from ``TICKET_TRAINER_*`` variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from core.paths import default_classifier_registry, default_data_dir, default_models_dir
from streaming.kafka_config import KafkaSettings

ENV_PREFIX = "TICKET_TRAINER_"


MIN_TOKEN_CHARS = 16
"""Shorter API tokens are refused at start (``openssl rand -hex 32`` makes a good one)."""

DEFAULT_FEEDBACK_STORE = Path("var/feedback.sqlite3")
"""Relative to the working directory: the checkout (``var/`` is git-ignored) or the container's data volume."""


def default_forecast_bundle() -> Path:
    """The shipped forecaster of daily loan volume in USD (``models/forecaster/loans-amount``)."""
    return default_models_dir() / "forecaster" / "loans-amount"


class TrainerSettings(KafkaSettings):
    """Everything ``ticket-trainer serve`` needs; every field is ``TICKET_TRAINER_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    # Corrections and the classifier registry.
    group_id: str = Field(default="ticket-trainer", min_length=1, description="Consumer group of the trainer.")
    feedback_topic: str = Field(default="tickets.feedback", min_length=1, description="Agents' corrections.")
    feedback_store: Path = Field(
        default=DEFAULT_FEEDBACK_STORE, description="SQLite file that keeps the corrections (relative: to the cwd)."
    )
    fetch_timeout_s: float = Field(
        default=5.0, gt=0, le=120, description="Longest wait to read a referenced routed event's text."
    )
    registry: Path = Field(default_factory=default_classifier_registry, description="Classifier model registry.")
    data_dir: Path = Field(default_factory=default_data_dir, description="Shared labelled data (base training set).")

    # When and how a refresh runs.
    min_new_corrections: int = Field(
        default=50, ge=1, description="New corrections that trigger a refresh (counted since the last one)."
    )
    refresh_interval_s: float = Field(
        default=0.0, ge=0, description="Also refresh on this schedule when there are new corrections (0: off)."
    )
    check_interval_s: float = Field(default=5.0, gt=0, le=3600, description="How often the triggers are checked.")
    promotion_tolerance: float = Field(
        default=0.01, ge=0.0, le=1.0, description="Largest macro-F1 drop a challenger may have and still win."
    )
    holdout_fraction: float = Field(
        default=0.2, gt=0.0, lt=1.0, description="Share of corrections held back from training to judge models."
    )
    keep_bundles: int = Field(default=5, ge=1, description="Classifier bundles kept in the registry.")
    base_csv: Path | None = Field(
        default=None,
        description="A labelled CSV (text,label[,department]) to train on instead of the shared data.",
    )
    validation_fraction: float = Field(
        default=0.15, gt=0.0, lt=0.5, description="Share of the base data held out as the fixed validation set."
    )
    refresh_model: Literal["production", "tiny"] = Field(
        default="production", description="Recipe of a challenger: the production Bi-LSTM, or a tiny one (tests)."
    )
    refresh_epochs: int | None = Field(
        default=None, ge=1, le=200, description="Most training epochs of a challenger (default: the recipe's)."
    )
    refresh_seed: int = Field(
        default=42, description="Seed of the validation split and of training (42: the same split as train-classifier)."
    )
    correction_weight: int = Field(
        default=3, ge=1, le=100, description="Each correction is repeated this many times in the training set."
    )

    # HTTP.
    http_host: str = Field(default="0.0.0.0", description="Address of the HTTP API.")  # noqa: S104
    http_port: int = Field(default=8080, ge=1, le=65535, description="Port of the HTTP API.")
    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token of POST /retrain and every other state-changing endpoint (secret: never logged; "
        "unset: they answer 503).",
    )

    # The loan forecaster.
    forecast_bundle: Path | None = Field(
        default_factory=default_forecast_bundle,
        description="Forecast bundle folder served on /forecast and published (empty: forecasts off).",
    )
    loans_topic: str = Field(
        default="loans.created", min_length=1, description="Loan events that keep the forecast series current."
    )
    forecast_topic: str = Field(default="loans.forecast", min_length=1, description="Where forecasts are published.")
    forecast_publish_interval_s: float = Field(
        default=3600.0, ge=0, description="How often the forecast is published (0: never)."
    )
    forecast_days: int = Field(default=14, ge=1, le=365, description="Days ahead in each published forecast.")

    shutdown_timeout_s: float = Field(default=30.0, gt=0, description="Longest graceful stop on SIGTERM.")

    @field_validator("forecast_bundle", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_token", mode="before")
    @classmethod
    def _empty_token_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_CHARS:
            raise ValueError(f"the API token must have at least {MIN_TOKEN_CHARS} characters")
        return value

    @model_validator(mode="after")
    def _distinct_topics(self) -> TrainerSettings:
        topics = [self.feedback_topic, self.loans_topic, self.forecast_topic]
        if len(set(topics)) != len(topics):
            raise ValueError("feedback_topic, loans_topic and forecast_topic must be different topics")
        return self
