"""How good a classifier is: the one macro-F1, the triage threshold, validation reports and promotion scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple, NotRequired, TypedDict

import numpy as np

from classifier.label_space import LabelSpace, Probabilities, triage_rule
from classifier.prediction import Classifier
from core.errors import DataError
from schemas.common import DEPARTMENTS, TRIAGE
from schemas.decisions import Calibration, DecisionCurves
from training.promotion import Scores

if TYPE_CHECKING:  # Keras ships no type information: mypy sees Any behind its name
    import keras

    from classifier.bundle import BundleClassifier
    from training.classifier.data import LabelledTexts

THRESHOLD_GRID = tuple(round(t, 3) for t in np.arange(0.0, 0.951, 0.025))
THRESHOLD_RULE = (
    "the max-department-probability threshold in 0.000..0.950 (step 0.025) that maximises macro-F1 over the "
    "departments of the validation split, triage included, on that split (ties: the lowest threshold)"
)
BATCH = 256
HeadlineKey = Literal["accuracy", "macro_f1", "out_of_scope_recall", "in_scope_accuracy"]
HEADLINE_KEYS: tuple[HeadlineKey, ...] = ("accuracy", "macro_f1", "out_of_scope_recall", "in_scope_accuracy")
"""The figures of :func:`classification_metrics` that go into a manifest's flat metrics."""


class ClassScores(TypedDict):
    """One true class: precision, recall and F1 rounded to 4 places, and its rows."""

    precision: float
    recall: float
    f1: float
    support: int


class ClassificationMetrics(TypedDict):
    """What :func:`classification_metrics` reports (the triage figures only when triage is a true class)."""

    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScores]
    out_of_scope_recall: NotRequired[float]
    in_scope_accuracy: NotRequired[float]


def macro_f1(true: Sequence[str], pred: Sequence[str]) -> float:
    """The mean F1 of the classes that occur in ``true`` (0.0 for no rows): every macro-F1 of the project.

    A class that no row belongs to has no recall, so it has no F1: counting it as 0 would score the data set's
    make-up, not the model. A row sent to a class outside ``true`` still costs its true class's recall, so
    misroutes to triage or to a department missing from the data are not free. Two models scored on the same
    rows are averaged over the same classes whatever labels they can predict.
    """
    from sklearn.metrics import f1_score

    if not true:
        return 0.0
    return float(f1_score(true, pred, labels=sorted(set(true)), average="macro", zero_division=0))


def accuracy(true: Sequence[str], pred: Sequence[str]) -> float:
    """Share of exact matches (0.0 for no rows)."""
    if not true:
        return 0.0
    return sum(t == p for t, p in zip(true, pred, strict=True)) / len(true)


def choose_threshold(space: LabelSpace, probs: Probabilities, true_departments: Sequence[str]) -> float:
    """The triage threshold of :data:`THRESHOLD_RULE`."""
    best_t, best_f = 0.0, -1.0
    for t in THRESHOLD_GRID:
        f = macro_f1(true_departments, space.routed(probs, t))
        if f > best_f + 1e-9:
            best_t, best_f = t, f
    return best_t


def classification_metrics(true: Sequence[str], pred: Sequence[str]) -> ClassificationMetrics:
    """accuracy, :func:`macro_f1`, per_class precision/recall/F1/support of the true classes, and with triage
    among them ``out_of_scope_recall`` (the share of true-triage rows predicted triage) and ``in_scope_accuracy``."""
    from sklearn.metrics import precision_recall_fscore_support

    classes = sorted(set(true))
    t, p = np.asarray(true, dtype=object), np.asarray(pred, dtype=object)
    precision, recall, f1, support = precision_recall_fscore_support(t, p, labels=classes, zero_division=0)
    out: ClassificationMetrics = {
        "n": len(t),
        "accuracy": round(accuracy(true, pred), 4),
        "macro_f1": round(macro_f1(true, pred), 4),
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
) -> dict[str, ClassificationMetrics]:
    """:func:`classification_metrics` of every source (cfpb, banking77, clinc150, …) on its own rows."""
    out = {}
    src = np.asarray(sources, dtype=object)
    for name in sorted(set(sources)):
        rows = np.flatnonzero(src == name)
        out[name] = classification_metrics(
            [true_departments[int(i)] for i in rows], [routed_departments[int(i)] for i in rows]
        )
    return out


def headline(by_source: Mapping[str, ClassificationMetrics], overall: ClassificationMetrics) -> dict[str, float]:
    """The flat numbers for the manifest: overall and per-source accuracy, macro-F1 and triage figures."""
    flat: dict[str, float] = {key: overall[key] for key in HEADLINE_KEYS if key in overall}
    if len(by_source) > 1:
        for name, m in by_source.items():
            for key in HEADLINE_KEYS:
                if key in m:
                    flat[f"{name}.{key}"] = m[key]
    return {k: float(v) for k, v in flat.items()}


@dataclass(frozen=True)
class Evaluation:
    """Validation results of a model: the chosen threshold, routed departments and the metrics."""

    threshold: float
    routed: list[str]
    report: dict[str, object]
    headline: dict[str, float]
    calibration: Calibration
    decisions: DecisionCurves


def evaluate_on_validation(model: keras.Model, labels: list[str], data: LabelledTexts) -> Evaluation:
    """Calibrate the confidences on ``data``, compute the precision curves and the triage threshold there (on
    calibrated confidences), and measure the model, overall and per source."""
    from classifier.bundle import ModelRunner
    from classifier.textclean import clean_texts
    from training.classifier.calibrate import calibrate
    from training.classifier.threshold_curves import decision_curves

    space = LabelSpace(labels, data.label_to_department)
    true = data.departments
    raw = ModelRunner(model).probabilities(clean_texts(data.texts))
    calibration, probs = calibrate(space, raw, data.labels, true)
    decisions = decision_curves(space, probs, true, data.sources)
    threshold = choose_threshold(space, probs, true)
    routed_val = space.routed(probs, threshold)
    overall = classification_metrics(true, routed_val)
    by_source = source_metrics(true, routed_val, data.sources)
    argmax = space.routed(probs, 0.0)
    top_label = space.top_labels(probs)
    label_acc = accuracy(data.labels, top_label)
    report: dict[str, object] = {
        "triage_threshold": threshold,
        "threshold_rule": THRESHOLD_RULE,
        "departments": overall,
        "by_source": by_source,
        "labels": {"accuracy": round(label_acc, 4), "macro_f1": round(macro_f1(data.labels, top_label), 4)},
        "without_threshold": {
            "departments": classification_metrics(true, argmax),
            "by_source": source_metrics(true, argmax, data.sources),
        },
        "calibration": calibration.model_dump(),
    }
    flat = headline(by_source, overall)
    flat["label_accuracy"] = round(label_acc, 4)
    flat["ece_before_calibration"], flat["ece"] = calibration.ece_before, calibration.ece_after
    return Evaluation(threshold, routed_val, report, flat, calibration, decisions)


def true_departments(labels: Sequence[str], label_to_department: Mapping[str, str]) -> list[str]:
    """Each label's department: department names stand for themselves, bundle labels map by the manifest."""
    unknown = sorted({lab for lab in labels if lab not in DEPARTMENTS and lab not in label_to_department})
    if unknown:
        raise DataError(f"{len(unknown)} label(s) are neither departments nor labels of the model, e.g. {unknown[:5]}")
    return [lab if lab in DEPARTMENTS else label_to_department[lab] for lab in labels]


def evaluate_rows(
    bundle: BundleClassifier, texts: Sequence[str], labels: Sequence[str], threshold: float
) -> dict[str, object]:
    """Metrics of ``bundle`` on labelled rows (``ticket-trainer evaluate``); the top level is at the granularity
    of ``labels``: departments after the threshold, or the bundle's labels by top label."""
    if not texts:
        raise DataError("no rows to evaluate")
    departments = true_departments(labels, dict(bundle.manifest.label_to_department))
    probs = bundle.probabilities(texts)
    dept_metrics = classification_metrics(departments, bundle.space.routed(probs, threshold))
    result: dict[str, object] = {"threshold": threshold}
    if all(lab in DEPARTMENTS for lab in labels):
        result["level"] = "department"
        result.update(dept_metrics)
    else:
        result["level"] = "label"
        result.update(classification_metrics(labels, bundle.space.top_labels(probs)))
        result.pop("out_of_scope_recall", None)
        result.pop("in_scope_accuracy", None)
    for key in HEADLINE_KEYS[2:]:  # the triage figures are of departments whatever the level
        if key in dept_metrics:
            result[key] = dept_metrics[key]
    result["departments"] = dept_metrics
    return result


class EvalSet(NamedTuple):
    """Texts with the department each should reach."""

    texts: list[str]
    departments: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def routed_departments(classifier: Classifier, texts: Sequence[str]) -> list[str]:
    """Where the router would send each text with this model and its own triage threshold."""
    out: list[str] = []
    threshold = classifier.triage_threshold
    for start in range(0, len(texts), BATCH):
        predictions = classifier.predict(list(texts[start : start + BATCH]))
        out.extend(triage_rule(p.department, p.confidence, threshold)[0] for p in predictions)
    return out


def score(classifier: Classifier, validation: EvalSet, corrections: EvalSet) -> Scores:
    """The scores the promotion rule compares, on the fixed validation set and the held-back corrections.

    Routed departments, not labels, are compared: a challenger may add labels (corrections are labelled
    by department) so the two models' label sets differ, while the department reached, after the
    model's own triage threshold, is what the router does and what an agent corrects.
    """
    val_pred = routed_departments(classifier, validation.texts)
    cor_pred = routed_departments(classifier, corrections.texts)
    return Scores(
        macro_f1=macro_f1(validation.departments, val_pred),
        corrections_accuracy=accuracy(corrections.departments, cor_pred),
        corrections=len(corrections),
    )
