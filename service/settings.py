"""The router's configuration: one pydantic-settings class read from ``TICKET_ROUTER_*`` variables."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from classifier.masking import ALL_ENTITIES, ALWAYS_MASKED, ENTITIES
from classifier.prediction import MAX_ALTERNATIVES
from core.paths import default_classifier_registry
from schemas.common import DEPARTMENTS
from service.allocator import AllocatorChoice
from service.decisions import ExplainScope
from service.policy import DEFAULT_TARGET, check_target, parse_department_targets
from service.priority import DEFAULT_PRIORITY_FILE, URGENT_MASS
from streaming.kafka_config import KafkaSettings

ENV_PREFIX = "TICKET_ROUTER_"


class RouterSettings(KafkaSettings):
    """Everything ``ticket-router serve`` needs; every field is ``TICKET_ROUTER_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    group_id: str = Field(default="ticket-router", min_length=1, description="Consumer group shared by replicas.")
    input_topics: Annotated[list[str], NoDecode] = Field(
        default=["tickets.complaints", "tickets.social"], description="Comma-separated input topics."
    )
    routed_topic_prefix: str = Field(default="routed.", description="Routed topics are <prefix><department>.")
    dlq_topic: str = Field(default="tickets.dlq", min_length=1, description="Dead-letter topic.")
    delivery: Literal["exactly_once", "at_least_once"] = Field(
        default="exactly_once",
        description="exactly_once uses Kafka transactions; at_least_once commits offsets after acknowledged sends.",
    )
    transactional_id: str | None = Field(
        default=None, description="Transactional id prefix (default: <group_id>-<host>-<pid>); unique per replica."
    )
    batch_size: int = Field(default=1024, ge=1, le=10_000, description="Most records per micro-batch.")
    batch_wait_ms: int = Field(default=20, ge=0, le=10_000, description="Longest wait to fill a micro-batch.")
    triage_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="One global confidence threshold below which events go to triage; replaces the precision targets.",
    )
    target_precision: float = Field(
        default=DEFAULT_TARGET, description="Auto-routed precision each department must reach (0.80-0.99)."
    )
    target_precision_by_department: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=dict, description="Per-department targets, e.g. collections=0.98,cards=0.9."
    )
    priority_file: Path = Field(
        default=DEFAULT_PRIORITY_FILE, description="CSV label,priority: labels whose events are urgent."
    )
    urgent_mass: float = Field(
        default=URGENT_MASS,
        gt=0.0,
        le=1.0,
        description="Probability the urgent labels must hold together to make an event urgent whose best label "
        "is not (1.0: the best label alone decides).",
    )
    explain: ExplainScope = Field(
        default="triage", description="Events that carry explanation terms: triage, all or off."
    )
    top_k: int = Field(
        default=3,
        ge=1,
        le=MAX_ALTERNATIVES,
        description=f"Alternatives carried in each routed event, 1 to {MAX_ALTERNATIVES} (what a bundle ranks).",
    )
    max_message_bytes: int = Field(default=1_000_000, ge=1024, description="Larger records are dead-lettered.")
    producer_max_bytes: int = Field(
        default=1_048_576,
        ge=65_536,
        le=100 * 1024 * 1024,
        description="Largest record the router produces (keep <= the broker's message.max.bytes); "
        "a larger routed event is dead-lettered, a dead letter is cut to fit.",
    )
    registry: Path = Field(default_factory=default_classifier_registry, description="Model registry folder.")
    model_path: Path | None = Field(default=None, description="Serve this bundle instead of the registry's current.")
    reload_interval_s: float = Field(default=10.0, gt=0, description="How often the registry is checked.")
    mask_entities: Annotated[frozenset[str], NoDecode] = Field(
        default=ALL_ENTITIES,
        description=f"Comma-separated personal data to mask ({','.join(ENTITIES)}, or all); must include card.",
    )
    http_host: str = Field(default="0.0.0.0", description="Address of /metrics, /healthz and /readyz.")  # noqa: S104
    http_port: int = Field(default=9100, ge=0, le=65535, description="Port of the HTTP endpoints; 0 picks a free one.")
    shutdown_timeout_s: float = Field(default=30.0, gt=0, description="Longest drain on SIGTERM.")
    reconnect_backoff_max_s: float = Field(default=10.0, gt=0, description="Longest wait between reconnects.")
    stall_after_s: float = Field(
        default=60.0,
        gt=0,
        description="Records waiting (lag) with none consumed for this long: logged, /readyz 503, fetch_stalled 1.",
    )
    allocator: AllocatorChoice = Field(
        default="jemalloc",
        description="Memory allocator of `serve`: jemalloc (preloaded when installed; keeps memory flat) or system.",
    )
    tracing: bool = Field(
        default=False,
        description="Trace micro-batches with OpenTelemetry (the tracing extra; OTEL_* variables set the exporter).",
    )

    @field_validator("input_topics", mode="before")
    @classmethod
    def _split_topics(cls, value: object) -> object:
        if isinstance(value, str):
            value = [t.strip() for t in value.split(",") if t.strip()]
        return value

    @field_validator("target_precision")
    @classmethod
    def _target_in_range(cls, value: float) -> float:
        return check_target(value)

    @field_validator("target_precision_by_department", mode="before")
    @classmethod
    def _parse_targets(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_department_targets(value)
        if isinstance(value, dict):
            return parse_department_targets(",".join(f"{k}={v}" for k, v in value.items()))
        return value

    @field_validator("input_topics")
    @classmethod
    def _some_topics(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one input topic is needed")
        return value

    @field_validator("mask_entities", mode="before")
    @classmethod
    def _split_entities(cls, value: object) -> object:
        if isinstance(value, str):
            names = {e.strip().lower() for e in value.split(",") if e.strip()}
            value = ALL_ENTITIES if names == {"all"} else names
        return value

    @field_validator("mask_entities")
    @classmethod
    def _known_entities(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = sorted(value - ALL_ENTITIES)
        if unknown:
            raise ValueError(f"unknown entities {unknown}; known: {', '.join(ENTITIES)} (or all)")
        if not value >= ALWAYS_MASKED:
            raise ValueError("card numbers are always masked (PCI DSS): the list must include card")
        return value

    def routed_topic(self, department: str) -> str:
        """The topic of one department."""
        return f"{self.routed_topic_prefix}{department}"

    def output_topics(self) -> list[str]:
        """Every topic the router writes: one per department and the dead-letter topic."""
        return [self.routed_topic(d) for d in DEPARTMENTS] + [self.dlq_topic]

    def transactional_id_for(self) -> str:
        """This replica's transactional id."""
        return self.transactional_id or f"{self.group_id}-{socket.gethostname()}-{os.getpid()}"
