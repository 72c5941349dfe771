"""Turn a trained model into a bundle: threshold and metrics on validation, plots, model file, manifest."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from classifier.bundle import MANIFEST, ModelRunner, load_bundle
from classifier.label_space import LabelSpace
from classifier.textclean import CLEANING_VERSION, MAX_CHARS, clean_texts
from core.errors import ConfigError
from core.hashing import sha256_file
from schemas.common import DEPARTMENTS
from schemas.decisions import Calibration, DecisionCurves
from schemas.manifest import VERSION_PATTERN, DataFile, ModelManifest
from training.classifier.calibrate import calibrate
from training.classifier.data import VALIDATION_FRACTION, LabelledTexts
from training.classifier.evaluate import (
    THRESHOLD_RULE,
    choose_threshold,
    classification_metrics,
    headline,
    macro_f1,
    routed,
    source_metrics,
)
from training.classifier.model import ModelConfig, inference_model
from training.classifier.report import CONFUSION_PNG, CURVES_PNG, plot_confusion, plot_curves, write_report
from training.classifier.threshold_curves import decision_curves
from training.classifier.train import TrainedModel

if TYPE_CHECKING:  # Keras ships no type information: mypy sees Any behind the name
    import keras

logger = logging.getLogger(__name__)

MODEL_FILE = "model.keras"


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
    space = LabelSpace(labels, data.label_to_department)
    true = data.departments
    raw = ModelRunner(model).probabilities(clean_texts(data.texts))
    calibration, probs = calibrate(space, raw, data.labels, true)
    decisions = decision_curves(space, probs, true, data.sources)
    threshold = choose_threshold(space, probs, true)
    routed_val = routed(space, probs, threshold)
    overall = classification_metrics(true, routed_val)
    by_source = source_metrics(true, routed_val, data.sources)
    argmax = routed(space, probs, 0.0)
    top_label = [labels[i] for i in probs.argmax(axis=1)]
    label_acc = float(np.mean([p == t for p, t in zip(top_label, data.labels, strict=True)]))
    report = {
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


def _check_version(version: str) -> str:
    import re

    if not re.fullmatch(VERSION_PATTERN, version):
        raise ConfigError(f"invalid bundle version {version!r}: letters, digits, '.', '_' and '-' only")
    return version


def write_bundle(
    out_dir: Path,
    version: str,
    trained: TrainedModel,
    config: ModelConfig,
    train: LabelledTexts,
    val: LabelledTexts,
    data_files: list[DataFile],
    validation_fraction: float = VALIDATION_FRACTION,
) -> ModelManifest:
    """Write the bundle folder ``out_dir`` atomically (a sibling temp folder renamed at the end), then load it
    back through the router's loader (hash check and smoke test) before returning its manifest."""
    return write_atomically(
        out_dir,
        version,
        lambda tmp: _write_into(tmp, version, trained, config, train, val, data_files, validation_fraction),
    )


def write_atomically(out_dir: Path, version: str, fill: Callable[[Path], ModelManifest]) -> ModelManifest:
    """``fill`` a sibling temp folder, rename it to ``out_dir``, then load it back (hash check, smoke test)."""
    _check_version(version)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ConfigError(f"{out_dir} exists and is not empty; choose another --out")
    tmp = out_dir.with_name(f".{out_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        manifest = fill(tmp)
        if out_dir.exists():
            out_dir.rmdir()
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    load_bundle(out_dir).smoke_test()
    logger.info("bundle %s written to %s", version, out_dir)
    return manifest


def plot_validation(folder: Path, true: list[str], evaluation: Evaluation) -> None:
    """The validation confusion matrix of the routed departments (after the triage threshold)."""
    seen = set(true) | set(evaluation.routed)
    departments = [d for d in DEPARTMENTS if d in seen]
    plot_confusion(true, evaluation.routed, departments, folder / CONFUSION_PNG,
                   f"validation, threshold {evaluation.threshold:.3f}")  # fmt: skip


def _write_into(
    folder: Path,
    version: str,
    trained: TrainedModel,
    config: ModelConfig,
    train: LabelledTexts,
    val: LabelledTexts,
    data_files: list[DataFile],
    validation_fraction: float,
) -> ModelManifest:
    evaluation = evaluate_on_validation(trained.model, trained.labels, val)
    inference_model(trained.model).save(folder / MODEL_FILE)
    plot_validation(folder, val.departments, evaluation)
    plot_curves(trained.history, folder / CURVES_PNG)
    training_info: dict[str, float | int | str | bool] = {
        **config.to_manifest(),
        "epochs_run": trained.epochs_run,
        "best_epoch": trained.best_epoch,
        "train_seconds": round(trained.seconds, 1),
        "train_rows": len(train),
        "validation_rows": len(val),
        "validation_fraction": validation_fraction,
        "vocabulary": trained.vocabulary_size,
    }
    write_report(
        folder,
        {**evaluation.report, "version": version, "training": training_info, "history": trained.history},
    )
    manifest = ModelManifest(
        version=version,
        created_at=datetime.now(UTC),
        model_file=MODEL_FILE,
        model_sha256=sha256_file(folder / MODEL_FILE),
        labels=trained.labels,
        label_to_department={label: train.label_to_department[label] for label in trained.labels},
        triage_threshold=evaluation.threshold,
        threshold_rule=THRESHOLD_RULE,
        cleaning_version=CLEANING_VERSION,
        max_chars=MAX_CHARS,
        training=training_info,
        validation_metrics=evaluation.headline,
        data=data_files,
        calibration=evaluation.calibration,
        decisions=evaluation.decisions,
    )
    (folder / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest
