"""Score a loaded bundle on labelled texts: department metrics after the threshold, label metrics by top label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from classifier.bundle import BundleClassifier
from core.errors import DataError
from schemas.common import DEPARTMENTS
from training.classifier.evaluate import classification_metrics, routed


def true_departments(labels: Sequence[str], label_to_department: Mapping[str, str]) -> list[str]:
    """Each label's department: department names stand for themselves, bundle labels map by the manifest."""
    unknown = sorted({lab for lab in labels if lab not in DEPARTMENTS and lab not in label_to_department})
    if unknown:
        raise DataError(f"{len(unknown)} label(s) are neither departments nor labels of the model, e.g. {unknown[:5]}")
    return [lab if lab in DEPARTMENTS else label_to_department[lab] for lab in labels]


def evaluate_rows(
    bundle: BundleClassifier, texts: Sequence[str], labels: Sequence[str], threshold: float
) -> dict[str, Any]:
    """Metrics of ``bundle`` on the rows; the top level is at the granularity of ``labels``."""
    if not texts:
        raise DataError("no rows to evaluate")
    mapping = dict(bundle.manifest.label_to_department)
    departments = true_departments(labels, mapping)
    probs = bundle.probabilities(texts)
    dept_metrics = classification_metrics(departments, routed(bundle.space, probs, threshold))
    label_level = not all(lab in DEPARTMENTS for lab in labels)
    result: dict[str, Any] = {"threshold": threshold}
    if label_level:
        top = [bundle.space.labels[i] for i in probs.argmax(axis=1)]
        result["level"] = "label"
        result.update(classification_metrics(labels, top))
        result.pop("out_of_scope_recall", None)
        result.pop("in_scope_accuracy", None)
    else:
        result["level"] = "department"
        result.update(dept_metrics)
    for key in ("out_of_scope_recall", "in_scope_accuracy"):
        if key in dept_metrics:
            result[key] = dept_metrics[key]
    result["departments"] = dept_metrics
    return result
