"""A batch's routing decisions beyond the department: its threshold, priority and explanation. No Kafka, no TF."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, NamedTuple

from classifier.prediction import Classifier, Prediction
from schemas.common import TRIAGE
from service.policy import PrecisionPolicy
from service.priority import Priority, PriorityMap
from service.routing import decide

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from service.settings import RouterSettings

ExplainScope = Literal["triage", "all", "off"]
"""Which routed events carry an explanation: those sent to triage (the default: cheaper), every one, none."""


@dataclass(frozen=True)
class DecisionRules:
    """How events are decided: precision targets (or one override threshold), priorities, explanations."""

    precision: PrecisionPolicy = field(default_factory=PrecisionPolicy)
    override: float | None = None
    """A global confidence threshold that replaces the precision targets when set."""
    priorities: PriorityMap = field(default_factory=PriorityMap)
    explain: ExplainScope = "triage"


def rules_from_settings(settings: RouterSettings, priorities: PriorityMap) -> DecisionRules:
    """The decision rules a router or ``ticket-router predict`` run uses, from its settings."""
    precision = PrecisionPolicy(settings.target_precision, settings.target_precision_by_department)
    priorities = replace(priorities, mass=settings.urgent_mass)
    return DecisionRules(precision, settings.triage_threshold, priorities, settings.explain)


class Decision(NamedTuple):
    """What the router adds to one prediction: the threshold it was held to, its priority and explanation."""

    threshold: float
    priority: Priority
    explanation: tuple[str, ...]


def decide_batch(
    classifier: Classifier,
    texts: Sequence[str],
    kinds: Sequence[str],
    predictions: Sequence[Prediction],
    rules: DecisionRules,
) -> list[Decision]:
    """One :class:`Decision` per prediction; the explained events are explained in one call."""
    tables: dict[str, dict[str, float]] = {}
    thresholds = []
    for kind, prediction in zip(kinds, predictions, strict=True):
        if rules.override is not None:
            thresholds.append(rules.override)
            continue
        table = tables.get(kind)
        if table is None:
            table = tables[kind] = rules.precision.thresholds(
                classifier.decision_curves, classifier.triage_threshold, kind
            )
        thresholds.append(table.get(prediction.department, 0.0))
    explained = [
        i
        for i, (p, t) in enumerate(zip(predictions, thresholds, strict=True))
        if rules.explain == "all" or (rules.explain == "triage" and decide(p, t)[0] == TRIAGE)
    ]
    explanations: list[tuple[str, ...]] = [()] * len(predictions)
    if explained:
        try:
            terms = classifier.explain([texts[i] for i in explained], [predictions[i].label for i in explained])
        except Exception as exc:  # noqa: BLE001 - explanations are best effort: the events are routed without them
            logger.warning("explaining %d events failed (%s); they are routed without terms", len(explained), exc)
            terms = [() for _ in explained]
        for i, found in zip(explained, terms, strict=True):
            explanations[i] = found
    return [
        Decision(t, rules.priorities.of_prediction(p), e)
        for p, t, e in zip(predictions, thresholds, explanations, strict=True)
    ]
