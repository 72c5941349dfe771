"""One micro-batch through validate → clean+classify (one model call) → route. No Kafka here.

The per-record error policy lives here: whatever goes wrong with one record (invalid input, an exception
while decoding, classifying or building its output, an output too large to produce) turns that record into
a dead letter and the batch goes on. Only a model that fails on every record raises (:class:`ClassifierError`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from classifier.mask_records import mask_event
from classifier.masking import ALL_ENTITIES
from classifier.prediction import Classifier, Prediction
from core.errors import ClassifierError, InvalidEventError
from schemas.events import ComplaintEvent, SocialPostEvent
from schemas.outputs import RoutedEvent
from service.dead_letters import RECORD_OVERHEAD_BYTES, masked_dead_letter
from service.decisions import Decision, DecisionRules, decide_batch
from service.decode import decode_event
from service.routing import InRecord, OutRecord, routed_record

logger = logging.getLogger(__name__)

DEFAULT_MAX_RECORD_BYTES = 1_048_576
"""Kafka's default producer and broker limit for one record."""


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
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    """The largest record the producer may send; a larger routed event is dead-lettered, dead letters are cut."""
    mask_entities: frozenset[str] = ALL_ENTITIES
    """Personal data masked in routed events and dead letters (card numbers always)."""
    rules: DecisionRules = field(default_factory=DecisionRules)
    """Precision targets, priorities and explanations (``threshold``, when set, overrides the targets)."""


@dataclass
class BatchResult:
    """What one batch produced, for the producer and for metrics."""

    outgoing: list[OutRecord] = field(default_factory=list)
    routed: list[RoutedEvent] = field(default_factory=list)
    dead_letter_reasons: list[str] = field(default_factory=list)
    inference_seconds: float = 0.0
    masked_entities: Counter[str] = field(default_factory=Counter)


def record_size(record: OutRecord) -> int:
    """Bytes of key, value and headers: what counts against the producer's limit, framing aside."""
    headers = sum(len(name) + len(value) for name, value in record.headers)
    return len(record.key or b"") + len(record.value) + headers


def process_batch(
    records: Sequence[InRecord], classifier: Classifier, policy: BatchPolicy, now: datetime
) -> BatchResult:
    """Every input record yields exactly one output record: routed, or dead-lettered with its reason."""
    result = BatchResult()
    valid: list[tuple[int, ComplaintEvent | SocialPostEvent]] = []
    slots: list[OutRecord | None] = [None] * len(records)

    def dead_letter(i: int, error: InvalidEventError) -> None:
        args = (records[i], error, policy.dlq_topic, now, policy.max_record_bytes, policy.mask_entities)
        slots[i], masked = masked_dead_letter(*args)
        result.masked_entities.update(masked)
        result.dead_letter_reasons.append(error.reason)

    for i, record in enumerate(records):
        try:
            event, masked = mask_event(decode_event(record.value, policy.max_message_bytes), policy.mask_entities)
            valid.append((i, event))
        except InvalidEventError as error:
            dead_letter(i, error)
        except Exception as exc:  # noqa: BLE001 - the per-record policy: one record never stops the batch
            dead_letter(i, _internal_error(record, exc))
        else:
            result.masked_entities.update(masked)
    if valid:
        start = time.perf_counter()
        predictions = _predict(classifier, [event.text for _, event in valid])
        result.inference_seconds = time.perf_counter() - start
        rules = policy.rules if policy.threshold is None else replace(policy.rules, override=policy.threshold)
        decided = _decide(classifier, valid, predictions, rules)
        for k, ((i, event), prediction) in enumerate(zip(valid, predictions, strict=True)):
            try:
                if isinstance(prediction, Exception):
                    raise prediction
                threshold, priority, terms = decided[k]
                prediction = prediction._replace(alternatives=prediction.alternatives[: policy.top_k])
                out, routed = routed_record(
                    event, prediction, threshold, classifier.version, policy.topic_prefix, now, priority, terms
                )
            except Exception as exc:  # noqa: BLE001 - the per-record policy
                dead_letter(i, _internal_error(records[i], exc))
                continue
            size = record_size(out) + RECORD_OVERHEAD_BYTES
            if size > policy.max_record_bytes:
                limit = policy.max_record_bytes
                dead_letter(i, InvalidEventError("oversized", f"the routed event would be {size} bytes, over {limit}"))
                continue
            slots[i] = out
            result.routed.append(routed)
    result.outgoing = [out for out in slots if out is not None]
    return result


def _decide(
    classifier: Classifier,
    valid: list[tuple[int, ComplaintEvent | SocialPostEvent]],
    predictions: list[Prediction | Exception],
    rules: DecisionRules,
) -> dict[int, Decision]:
    """The decisions of the classified events, by their position in ``valid``."""
    ok = [k for k, p in enumerate(predictions) if not isinstance(p, Exception)]
    events = [valid[k][1] for k in ok]
    classified = [p for p in predictions if not isinstance(p, Exception)]
    decisions = decide_batch(classifier, [e.text for e in events], [e.kind for e in events], classified, rules)
    return dict(zip(ok, decisions, strict=True))


def _internal_error(record: InRecord, exc: Exception) -> InvalidEventError:
    logger.error(
        "record %s[%d]@%d dead-lettered: %s while handling it",
        record.topic,
        record.partition,
        record.offset,
        type(exc).__name__,
    )
    return InvalidEventError("internal_error", f"{type(exc).__name__} while handling the record")


def _predict(classifier: Classifier, texts: list[str]) -> list[Prediction | Exception]:
    """One model call for the batch; if it fails, one call per text, so only the texts that fail are lost.

    Raises :class:`ClassifierError` when the model fails on every text of a batch of several: then the
    model, not a record, is at fault.
    """
    try:
        predictions: list[Prediction | Exception] = list(classifier.predict(texts))
    except Exception as exc:  # noqa: BLE001 - retried text by text below
        logger.warning("the model failed on a batch of %d texts (%s); one by one now", len(texts), type(exc).__name__)
        predictions = []
        for text in texts:
            try:
                predictions.extend(classifier.predict([text]))
            except Exception as one:  # noqa: BLE001 - this text becomes a dead letter
                predictions.append(one)
        if len(texts) > 1 and all(isinstance(p, Exception) for p in predictions):
            raise ClassifierError(f"the model failed on all {len(texts)} texts of a batch: {exc}") from exc
    if len(predictions) != len(texts):
        raise ClassifierError(f"the classifier returned {len(predictions)} predictions for {len(texts)} texts")
    return predictions
