"""Calibration and precision curves for an existing bundle: reproduce its validation split, write a new version."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from classifier.bundle import load_bundle
from classifier.registry import write_manifest
from core.errors import DataError
from schemas.manifest import ModelManifest
from training.classifier.data import SEED, VALIDATION_FRACTION, LabelledTexts, stratified_split
from training.classifier.evaluate import THRESHOLD_RULE, evaluate_on_validation
from training.classifier.export import plot_validation, write_atomically
from training.classifier.report import CURVES_PNG, REPORT, write_report

logger = logging.getLogger(__name__)


def validation_split(manifest: ModelManifest, data: LabelledTexts) -> LabelledTexts:
    """The bundle's own validation split of ``data``, reproduced from the seed and share it recorded.

    ``data`` must be the very files the bundle was trained on (sha256 and rows as in its manifest), and the
    split must hold as many rows as the bundle's; a :class:`DataError` says what differs otherwise.
    """
    recorded = sorted((f.sha256, f.rows) for f in manifest.data)
    actual = sorted((f.sha256, f.rows) for f in data.files)
    if not recorded:
        raise DataError(f"bundle {manifest.version} records no data files: its validation split cannot be reproduced")
    if recorded != actual:
        names = ", ".join(f.path for f in manifest.data)
        raise DataError(f"the data differs from what bundle {manifest.version} was trained on ({names}): "
                        "the validation split cannot be reproduced")  # fmt: skip
    fraction = float(manifest.training.get("validation_fraction", VALIDATION_FRACTION))
    seed = int(manifest.training.get("seed", SEED))
    _, val = stratified_split(data, fraction, seed)
    expected = manifest.training.get("validation_rows")
    if expected is not None and int(expected) != len(val):
        raise DataError(
            f"the reproduced validation split has {len(val)} rows, bundle {manifest.version} had {expected}"
        )
    return replace(val, label_to_department=dict(manifest.label_to_department))


def recalibrate(source: Path, out_dir: Path, version: str, data: LabelledTexts) -> ModelManifest:
    """A new bundle ``out_dir`` with ``source``'s model file and a manifest with calibration, curves, the
    triage threshold and metrics recomputed on its validation split."""
    bundle = load_bundle(source)
    old = bundle.manifest
    val = validation_split(old, data)
    evaluation = evaluate_on_validation(bundle.runner.model, old.labels, val)

    def fill(folder: Path) -> ModelManifest:
        shutil.copy2(source / old.model_file, folder / old.model_file)
        if (source / CURVES_PNG).is_file():
            shutil.copy2(source / CURVES_PNG, folder / CURVES_PNG)
        plot_validation(folder, val.departments, evaluation)
        previous = json.loads((source / REPORT).read_text(encoding="utf-8")) if (source / REPORT).is_file() else {}
        training = {**old.training, "calibrated_from": old.version}
        write_report(folder, {**previous, **evaluation.report, "version": version, "training": training})
        manifest = old.model_copy(
            update={
                "version": version,
                "created_at": datetime.now(UTC),
                "triage_threshold": evaluation.threshold,
                "threshold_rule": THRESHOLD_RULE,
                "training": training,
                "validation_metrics": evaluation.headline,
                "calibration": evaluation.calibration,
                "decisions": evaluation.decisions,
                "promotion": None,
            }
        )
        manifest = ModelManifest.model_validate(manifest.model_dump())
        write_manifest(folder, manifest)
        return manifest

    manifest = write_atomically(out_dir, version, fill)
    calibration = evaluation.calibration
    logger.info("bundle %s: temperature %.3f, ECE %.4f -> %.4f", version, calibration.temperature,
                calibration.ece_before, calibration.ece_after)  # fmt: skip
    return manifest
