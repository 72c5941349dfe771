"""The settings classes of the deployables, as the deployment files must match them."""

from __future__ import annotations

import importlib

from pydantic_settings import BaseSettings, SettingsConfigDict

from console.settings import ENV_PREFIX as CONSOLE_PREFIX
from console.settings import ConsoleSettings
from service.settings import ENV_PREFIX as ROUTER_PREFIX
from service.settings import RouterSettings
from streaming.kafka_config import KafkaSettings

TRAINER_PREFIX = "TICKET_TRAINER_"
# The design's topics of the trainer, used until training/settings.py names them.
TRAINER_DEFAULT_TOPICS = frozenset({"tickets.feedback", "loans.created", "loans.forecast"})


class TrainerKafkaContract(KafkaSettings):
    """The Kafka fields every deployable reads, under the trainer's prefix (until its class exists)."""

    model_config = SettingsConfigDict(env_prefix=TRAINER_PREFIX, extra="ignore")


def trainer_settings_class() -> type[BaseSettings] | None:
    """The class in training/settings.py whose env prefix is ``TICKET_TRAINER_``; ``None`` before it exists."""
    try:
        module = importlib.import_module("training.settings")
    except ModuleNotFoundError as exc:
        if exc.name == "training.settings":
            return None
        raise
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, BaseSettings)
            and value.model_config.get("env_prefix") == TRAINER_PREFIX
        ):
            return value
    raise LookupError("training/settings.py defines no settings class with env_prefix TICKET_TRAINER_")


def settings_for(app: str) -> type[BaseSettings]:
    """The settings class whose fields a compose service's ``TICKET_*`` variables must be."""
    if app == "router":
        return RouterSettings
    if app == "console":
        return ConsoleSettings
    return trainer_settings_class() or TrainerKafkaContract


def prefix_for(app: str) -> str:
    """``TICKET_ROUTER_``, ``TICKET_TRAINER_`` or ``TICKET_CONSOLE_``."""
    return {"router": ROUTER_PREFIX, "trainer": TRAINER_PREFIX, "console": CONSOLE_PREFIX}[app]


def trainer_topics() -> set[str]:
    """Default topic names of the trainer's settings (fields ending in ``topic``), or the design's."""
    cls = trainer_settings_class()
    if cls is None:
        return set(TRAINER_DEFAULT_TOPICS)
    return {
        str(field.default)
        for name, field in cls.model_fields.items()
        if name.endswith("topic") and isinstance(field.default, str)
    }
