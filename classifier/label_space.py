"""From label probabilities to department predictions: plain numpy, no TensorFlow, shared by serving and training."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from classifier.prediction import TOP_LABELS, Prediction, Scored
from core.errors import UnroutableLabelError
from schemas.common import DEPARTMENTS, TRIAGE
from schemas.outputs import RouteReason

Probabilities = npt.NDArray[np.float32]


class LabelSpace:
    """The model's labels, in output order, and the department each one routes to.

    A department's probability is the sum of its labels' probabilities (a complaint about a credit card
    may spread over several card labels); the predicted label is the most likely label of the predicted
    department, and ``confidence`` is that department's probability, the number the triage threshold
    is compared with.
    """

    def __init__(self, labels: Sequence[str], label_to_department: Mapping[str, str]) -> None:
        unknown = sorted({label_to_department.get(label, "?") for label in labels} - set(DEPARTMENTS))
        if unknown:
            raise UnroutableLabelError(f"labels route to unknown department(s) {unknown}")
        self.labels: tuple[str, ...] = tuple(labels)
        used = {label_to_department[label] for label in labels}
        self.departments: tuple[str, ...] = tuple(d for d in DEPARTMENTS if d in used)
        index = {d: j for j, d in enumerate(self.departments)}
        self.matrix = np.zeros((len(self.labels), len(self.departments)), dtype=np.float32)
        for i, label in enumerate(self.labels):
            self.matrix[i, index[label_to_department[label]]] = 1.0

    def department_probabilities(self, probs: Probabilities) -> Probabilities:
        """``(n, departments)`` probabilities from ``(n, labels)`` ones."""
        return np.asarray(probs @ self.matrix, dtype=np.float32)

    def predictions(self, probs: Probabilities, alternatives: int = 3) -> list[Prediction]:
        """One :class:`Prediction` per row: best department, its best label, then the next departments."""
        if probs.ndim != 2 or probs.shape[1] != len(self.labels):
            raise UnroutableLabelError(f"model output has shape {probs.shape}; expected (n, {len(self.labels)})")
        dept = self.department_probabilities(probs)
        # Best label of every department: argmax over the department's own labels (others masked to -1,
        # so a department with probability 0 still names one of its labels).
        best_label = np.argmax(np.where(self.matrix[None, :, :] > 0, probs[:, :, None], -1.0), axis=1)
        order = np.argsort(-dept, axis=1, kind="stable")[:, : alternatives + 1]
        top_labels = np.argsort(-probs, axis=1, kind="stable")[:, :TOP_LABELS]
        top_probs = np.take_along_axis(probs, top_labels, axis=1)
        # Plain Python lists from here: indexing numpy arrays one element at a time is slow.
        labels, departments = self.labels, self.departments
        out = []
        columns = (order, best_label, dept, top_labels, top_probs)
        rows = zip(*(c.tolist() for c in columns), strict=True)
        for row_order, row_best, row_dept, row_top, row_top_probs in rows:
            scored = [Scored(labels[row_best[j]], departments[j], row_dept[j]) for j in row_order]
            top = scored[0]
            ranked = tuple((labels[i], p) for i, p in zip(row_top, row_top_probs, strict=True))
            out.append(Prediction(top.label, top.department, top.confidence, tuple(scored[1:]), ranked))
        return out

    def top_labels(self, probs: Probabilities) -> list[str]:
        """The most likely label of each row."""
        return [self.labels[i] for i in probs.argmax(axis=1).tolist()]

    def routed(self, probs: Probabilities, threshold: float) -> list[str]:
        """The department each row goes to by :func:`triage_rule`: the most likely department, its probability
        as the confidence (what :meth:`predictions` gives the router)."""
        dept = self.department_probabilities(probs)
        best = dept.argmax(axis=1)
        confidence = dept[np.arange(len(best)), best]
        return [
            triage_rule(self.departments[j], c, threshold)[0]
            for j, c in zip(best.tolist(), confidence.tolist(), strict=True)
        ]


def triage_rule(department: str, confidence: float, threshold: float) -> tuple[str, RouteReason]:
    """The department a message goes to, and why: an out-of-scope label and a confidence below the triage
    threshold go to triage. The router and every evaluation decide by this one rule."""
    if department == TRIAGE:
        return TRIAGE, "out_of_scope"
    if confidence < threshold:
        return TRIAGE, "low_confidence"
    return department, "confident"
