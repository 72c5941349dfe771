"""Classifier metrics and the triage threshold, computed from probabilities (numpy + scikit-learn, no TF)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from classifier.label_space import LabelSpace, Probabilities
from schemas.common import TRIAGE

THRESHOLD_GRID = tuple(round(t, 3) for t in np.arange(0.0, 0.951, 0.025))
THRESHOLD_RULE = (
    "the max-department-probability threshold in 0.000..0.950 (step 0.025) that maximises macro-F1 over all "
    "departments, triage included, on the validation split (ties: the lowest threshold)"
)


def routed(space: LabelSpace, probs: Probabilities, threshold: float) -> list[str]:
    """The department each row is routed to: argmax department, triage below ``threshold``."""
    dept = space.department_probabilities(probs)
    best = dept.argmax(axis=1)
    names = np.asarray(space.departments, dtype=object)[best]
    names[dept[np.arange(len(best)), best] < threshold] = TRIAGE
    return [str(n) for n in names]


def macro_f1(true: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None) -> float:
    """Macro-F1 over ``labels`` (default: every class that occurs in ``true`` or ``pred``)."""
    from sklearn.metrics import f1_score

    return float(f1_score(true, pred, labels=labels, average="macro", zero_division=0))


def choose_threshold(space: LabelSpace, probs: Probabilities, true_departments: Sequence[str]) -> float:
    """The triage threshold of :data:`THRESHOLD_RULE`."""
    best_t, best_f = 0.0, -1.0
    for t in THRESHOLD_GRID:
        f = macro_f1(true_departments, routed(space, probs, t))
        if f > best_f + 1e-9:
            best_t, best_f = t, f
    return best_t


def classification_metrics(true: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """accuracy, macro_f1 (over the true classes), per_class precision/recall/F1/support, and with triage
    among the true classes ``out_of_scope_recall``: the share of true-triage rows predicted triage."""
    from sklearn.metrics import precision_recall_fscore_support

    classes = sorted(set(true))
    t, p = np.asarray(true, dtype=object), np.asarray(pred, dtype=object)
    precision, recall, f1, support = precision_recall_fscore_support(t, p, labels=classes, zero_division=0)
    out: dict[str, Any] = {
        "n": len(t),
        "accuracy": round(float((t == p).mean()) if len(t) else 0.0, 4),
        "macro_f1": round(float(np.mean(f1)) if classes else 0.0, 4),
        "per_class": {
            c: {
                "precision": round(float(pr), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for c, pr, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
        },
    }
    if TRIAGE in classes:
        oos = t == TRIAGE
        out["out_of_scope_recall"] = round(float((p[oos] == TRIAGE).mean()), 4)
        inscope = ~oos
        if inscope.any():
            out["in_scope_accuracy"] = round(float((p[inscope] == t[inscope]).mean()), 4)
    return out


def source_metrics(
    true_departments: Sequence[str], routed_departments: Sequence[str], sources: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """:func:`classification_metrics` of every source (cfpb, banking77, clinc150, …) on its own rows."""
    out = {}
    src = np.asarray(sources, dtype=object)
    for name in sorted(set(sources)):
        rows = np.flatnonzero(src == name)
        out[name] = classification_metrics(
            [true_departments[int(i)] for i in rows], [routed_departments[int(i)] for i in rows]
        )
    return out


def headline(by_source: dict[str, dict[str, Any]], overall: dict[str, Any]) -> dict[str, float]:
    """The flat numbers for the manifest: overall and per-source accuracy, macro-F1 and triage figures."""
    flat = {"accuracy": overall["accuracy"], "macro_f1": overall["macro_f1"]}
    for key in ("out_of_scope_recall", "in_scope_accuracy"):
        if key in overall:
            flat[key] = overall[key]
    if len(by_source) > 1:
        for name, m in by_source.items():
            for key in ("accuracy", "macro_f1", "out_of_scope_recall", "in_scope_accuracy"):
                if key in m:
                    flat[f"{name}.{key}"] = m[key]
    return {k: float(v) for k, v in flat.items()}
