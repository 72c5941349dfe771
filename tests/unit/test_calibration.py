"""Temperature scaling: applying it, fitting it back, and the calibration error on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.calibration import apply_temperature
from classifier.label_space import LabelSpace
from training.classifier.calibrate import calibrate, expected_calibration_error


def test_expected_calibration_error_by_hand() -> None:
    # Two bins: {0.9, 0.9} with 1 of 2 right (gap 0.4), {0.3} with 0 of 1 right (gap 0.3).
    assert expected_calibration_error([0.9, 0.9, 0.3], [1, 0, 0], bins=10) == pytest.approx(2 / 3 * 0.4 + 1 / 3 * 0.3)
    assert expected_calibration_error([1.0, 0.0], [1, 0], bins=10) == 0.0
    assert expected_calibration_error([], []) == 0.0


def test_temperature_keeps_the_ranking_and_sharpens_or_softens() -> None:
    probs = np.asarray([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]], dtype=np.float32)
    assert apply_temperature(probs, 1.0) is probs
    sharp, soft = apply_temperature(probs, 0.5), apply_temperature(probs, 2.0)
    for out in (sharp, soft):
        assert np.allclose(out.sum(axis=1), 1.0) and (out.argmax(axis=1) == probs.argmax(axis=1)).all()
    assert (sharp.max(axis=1) > probs.max(axis=1)).all() and (soft.max(axis=1) < probs.max(axis=1)).all()
    assert np.isfinite(apply_temperature(np.asarray([[1.0, 0.0]], dtype=np.float32), 0.3)).all()


def test_fitting_recovers_an_overconfident_models_temperature() -> None:
    rng = np.random.default_rng(0)
    labels = ["a", "b", "c", "d"]
    departments = {"a": "cards", "b": "loans", "c": "mortgages", "d": "accounts"}
    space = LabelSpace(labels, departments)
    logits = rng.normal(0, 2.0, size=(4000, 4))
    true_probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = [labels[rng.choice(4, p=p)] for p in true_probs]
    # The model reports the right ranking but twice too sharp: temperature 0.5 on the log scale.
    reported = apply_temperature(true_probs.astype(np.float32), 0.5)
    calibration, calibrated = calibrate(space, reported, truth, [departments[t] for t in truth])
    assert calibration.temperature == pytest.approx(2.0, rel=0.1)
    assert calibration.nll_after < calibration.nll_before
    assert calibration.ece_after < calibration.ece_before / 2
    assert np.allclose(calibrated, apply_temperature(reported, calibration.temperature))
