"""One micro-batch through validate → clean+classify (one model call) → route. No Kafka here."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from schemas.events import ComplaintEvent, SocialPostEvent
from schemas.outputs import RoutedEvent
from service.decode import decode_event
from service.errors import InvalidEventError
from service.mask_records import mask_event, masked_dead_letter
from service.masking import ALL_ENTITIES
from service.prediction import Classifier
from service.routing import InRecord, OutRecord, routed_record


@dataclass(frozen=True)
class BatchPolicy:
    """The settings that shape routing decisions and output topics."""

    topic_prefix: str
    dlq_topic: str
    max_message_bytes: int
    threshold: float | None = None
    """Overrides the classifier's own threshold when set."""
    top_k: int = 3
    """Alternatives kept in each routed event."""
    mask_entities: frozenset[str] = ALL_ENTITIES
    """Personal data masked in routed events and dead letters (card numbers always)."""


@dataclass
class BatchResult:
    """What one batch produced, for the producer and for metrics."""

    outgoing: list[OutRecord] = field(default_factory=list)
    routed: list[RoutedEvent] = field(default_factory=list)
    dead_letter_reasons: list[str] = field(default_factory=list)
    inference_seconds: float = 0.0
    masked_entities: Counter[str] = field(default_factory=Counter)


def process_batch(
    records: Sequence[InRecord], classifier: Classifier, policy: BatchPolicy, now: datetime
) -> BatchResult:
    """Every input record yields exactly one output record: routed, or dead-lettered with its reason."""
    result = BatchResult()
    valid: list[tuple[int, ComplaintEvent | SocialPostEvent]] = []
    slots: list[OutRecord | None] = [None] * len(records)
    for i, record in enumerate(records):
        try:
            event, masked = mask_event(decode_event(record.value, policy.max_message_bytes), policy.mask_entities)
            valid.append((i, event))
        except InvalidEventError as error:
            slots[i], masked = masked_dead_letter(record, error, policy.dlq_topic, now, policy.mask_entities)
            result.dead_letter_reasons.append(error.reason)
        result.masked_entities.update(masked)
    if valid:
        start = time.perf_counter()
        predictions = classifier.predict([event.text for _, event in valid])
        result.inference_seconds = time.perf_counter() - start
        if len(predictions) != len(valid):
            raise RuntimeError(f"the classifier returned {len(predictions)} predictions for {len(valid)} texts")
        threshold = classifier.triage_threshold if policy.threshold is None else policy.threshold
        for (i, event), prediction in zip(valid, predictions, strict=True):
            prediction = prediction._replace(alternatives=prediction.alternatives[: policy.top_k])
            out, routed = routed_record(event, prediction, threshold, classifier.version, policy.topic_prefix, now)
            slots[i] = out
            result.routed.append(routed)
    result.outgoing = [out for out in slots if out is not None]
    return result
