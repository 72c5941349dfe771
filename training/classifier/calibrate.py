"""Temperature scaling fitted on the validation split, and the calibration error it is judged by."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from classifier.calibration import FLOOR, apply_temperature
from classifier.label_space import LabelSpace, Probabilities
from schemas.decisions import Calibration

ECE_BINS = 15
TEMPERATURE_BOUNDS = (0.05, 20.0)


def expected_calibration_error(confidence: npt.ArrayLike, correct: npt.ArrayLike, bins: int = ECE_BINS) -> float:
    """ECE: the mean gap between confidence and accuracy over equal-width confidence bins, weighted by size."""
    conf = np.asarray(confidence, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    if conf.size == 0:
        return 0.0
    which = np.clip(np.ceil(conf * bins).astype(np.int64) - 1, 0, bins - 1)
    total = 0.0
    for b in np.unique(which):
        rows = which == b
        total += rows.mean() * abs(conf[rows].mean() - hit[rows].mean())
    return float(total)


def label_nll(probs: Probabilities, label_index: npt.NDArray[np.int64]) -> float:
    """Mean negative log-likelihood of the true labels."""
    picked = probs[np.arange(len(label_index)), label_index].astype(np.float64)
    return float(-np.log(np.maximum(picked, FLOOR)).mean()) if len(picked) else 0.0


def department_ece(space: LabelSpace, probs: Probabilities, true_departments: Sequence[str]) -> float:
    """ECE of the routed confidence: the top department's probability against whether it is the true one."""
    dept = space.department_probabilities(probs)
    best = dept.argmax(axis=1)
    names = np.asarray(space.departments, dtype=object)[best]
    return expected_calibration_error(dept[np.arange(len(best)), best], names == np.asarray(true_departments, object))


def fit_temperature(probs: Probabilities, label_index: npt.NDArray[np.int64]) -> float:
    """The temperature that minimises the validation labels' negative log-likelihood (bounded search on its log)."""
    from scipy.optimize import minimize_scalar

    if len(label_index) == 0:
        return 1.0
    lo, hi = (math.log(b) for b in TEMPERATURE_BOUNDS)
    found = minimize_scalar(
        lambda log_t: label_nll(apply_temperature(probs, math.exp(log_t)), label_index),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-3},
    )
    return round(math.exp(float(found.x)), 4)


def calibrate(
    space: LabelSpace, probs: Probabilities, labels: Sequence[str], true_departments: Sequence[str]
) -> tuple[Calibration, Probabilities]:
    """Fit the temperature on validation ``probs`` and report ECE and NLL before and after; returns the
    calibration and the calibrated probabilities."""
    index = {label: i for i, label in enumerate(space.labels)}
    label_index = np.asarray([index[label] for label in labels], dtype=np.int64)
    temperature = fit_temperature(probs, label_index)
    calibrated = apply_temperature(probs, temperature)
    calibration = Calibration(
        temperature=temperature,
        rows=len(labels),
        ece_before=round(department_ece(space, probs, true_departments), 4),
        ece_after=round(department_ece(space, calibrated, true_departments), 4),
        nll_before=round(label_nll(probs, label_index), 4),
        nll_after=round(label_nll(calibrated, label_index), 4),
    )
    return calibration, calibrated
