"""Score any classifier on labelled texts by the department the router would send each one to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from classifier.prediction import Classifier
from service.routing import decide
from training.promotion import Scores

BATCH = 256


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
        out.extend(decide(p, threshold)[0] for p in predictions)
    return out


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 over the departments present in ``truth`` (a department never predicted scores 0)."""
    from sklearn.metrics import f1_score

    if not truth:
        return 0.0
    labels = sorted(set(truth))
    return float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0))


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of exact department matches (0.0 for no data)."""
    if not truth:
        return 0.0
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


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
