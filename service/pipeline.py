"""One micro-batch through validate → clean+classify (one model call) → route. No Kafka here."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from schemas.events import ComplaintEvent, SocialPostEvent
from schemas.outputs import RoutedEvent
from service.decisions import DecisionRules, decide_batch
from service.decode import decode_event
from service.errors import InvalidEventError
from service.prediction import Classifier
from service.routing import InRecord, OutRecord, dead_letter_record, routed_record


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
    rules: DecisionRules = field(default_factory=DecisionRules)
    """Precision targets, priorities and explanations (``threshold``, when set, overrides the targets)."""


@dataclass
class BatchResult:
    """What one batch produced, for the producer and for metrics."""

    outgoing: list[OutRecord] = field(default_factory=list)
    routed: list[RoutedEvent] = field(default_factory=list)
    dead_letter_reasons: list[str] = field(default_factory=list)
    inference_seconds: float = 0.0


def process_batch(
    records: Sequence[InRecord], classifier: Classifier, policy: BatchPolicy, now: datetime
) -> BatchResult:
    """Every input record yields exactly one output record: routed, or dead-lettered with its reason."""
    result = BatchResult()
    valid: list[tuple[int, ComplaintEvent | SocialPostEvent]] = []
    slots: list[OutRecord | None] = [None] * len(records)
    for i, record in enumerate(records):
        try:
            valid.append((i, decode_event(record.value, policy.max_message_bytes)))
        except InvalidEventError as error:
            slots[i] = dead_letter_record(record, error, policy.dlq_topic, now)
            result.dead_letter_reasons.append(error.reason)
    if valid:
        start = time.perf_counter()
        predictions = classifier.predict([event.text for _, event in valid])
        result.inference_seconds = time.perf_counter() - start
        if len(predictions) != len(valid):
            raise RuntimeError(f"the classifier returned {len(predictions)} predictions for {len(valid)} texts")
        rules = policy.rules if policy.threshold is None else replace(policy.rules, override=policy.threshold)
        texts, kinds = [event.text for _, event in valid], [event.kind for _, event in valid]
        decisions = decide_batch(classifier, texts, kinds, predictions, rules)
        for (i, event), prediction, (threshold, priority, terms) in zip(valid, predictions, decisions, strict=True):
            prediction = prediction._replace(alternatives=prediction.alternatives[: policy.top_k])
            out, routed = routed_record(
                event, prediction, threshold, classifier.version, policy.topic_prefix, now, priority, terms
            )
            slots[i] = out
            result.routed.append(routed)
    result.outgoing = [out for out in slots if out is not None]
    return result
