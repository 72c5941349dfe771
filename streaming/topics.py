"""Topic administration: create the topics a deployment needs, tolerating ones that exist."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streaming.kafka_config import KafkaSettings

logger = logging.getLogger(__name__)


def ensure_topics(
    kafka: KafkaSettings,
    names: Iterable[str],
    partitions: int = 4,
    replication: int = 1,
    timeout_ms: int = 10_000,
) -> list[str]:
    """Create each missing topic; returns the names that were created."""
    wanted = sorted(set(names))
    admin = KafkaAdminClient(**kafka.client_kwargs(), request_timeout_ms=timeout_ms)
    try:
        existing = set(admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        created = []
        for name in missing:
            try:
                admin.create_topics([NewTopic(name, partitions, replication)], timeout_ms=timeout_ms)
                created.append(name)
            except TopicAlreadyExistsError:
                pass
        if created:
            logger.info("created topics %s with %d partitions", created, partitions)
        return created
    finally:
        admin.close()
