"""A real broker per test session over TCP, and factories for unique topic and group names."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from service.broker import EmbeddedBroker
from service.kafka_config import KafkaSettings


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """The embedded Tansu broker on a free loopback port for the whole session."""
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture
def kafka_settings(broker: EmbeddedBroker) -> KafkaSettings:
    """Connection settings pointing at the session broker."""
    return KafkaSettings(bootstrap_servers=broker.bootstrap)


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Factory for topic and group names that no other test uses."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make
