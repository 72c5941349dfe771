"""Glue from the refresh loop to the classifier's training code: base data, the fixed split, a challenger bundle."""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path

from classifier.registry import ModelRegistry, load_classifier
from schemas.manifest import DataFile
from training.classifier.data import LabelledTexts, load_labelled_csv, load_production, stratified_split
from training.classifier.evaluate import EvalSet
from training.classifier.model import TINY, ModelConfig
from training.feedback.store import Correction, FeedbackStore
from training.metrics import TrainerMetrics
from training.refresh import Refresher, RefreshPolicy
from training.settings import TrainerSettings

logger = logging.getLogger(__name__)

FEEDBACK_SOURCE = "feedback"
"""Source name of correction rows: sample weights balance labels within a source."""


def correction_label(department: str) -> str:
    """The label a correction trains: one per department, in its own namespace so it cannot collide."""
    return f"{FEEDBACK_SOURCE}:{department}"


def corrections_provenance(corrections: Sequence[Correction]) -> DataFile:
    """The corrections as one data file of the manifest: a hash of their content, not the content."""
    digest = hashlib.sha256()
    for c in corrections:
        digest.update(f"{c.ticket_id}\x1f{c.department}\x1f{c.text}\x1e".encode())
    return DataFile(path="feedback-store", sha256=digest.hexdigest(), rows=len(corrections))


def with_corrections(base: LabelledTexts, corrections: Sequence[Correction], weight: int) -> LabelledTexts:
    """The base training rows plus each correction ``weight`` times, labelled by its department."""
    rows = [c for c in corrections for _ in range(weight)]
    mapping = dict(base.label_to_department)
    for c in corrections:
        mapping[correction_label(c.department)] = c.department
    return LabelledTexts(
        texts=[*base.texts, *(c.text for c in rows)],
        labels=[*base.labels, *(correction_label(c.department) for c in rows)],
        label_to_department=mapping,
        sources=[*base.sources, *([FEEDBACK_SOURCE] * len(rows))],
        files=[*base.files, corrections_provenance(corrections)],
    )


class ClassifierChallenger:
    """Trains challengers with the classifier's own recipe on one fixed split of the base data."""

    def __init__(self, settings: TrainerSettings) -> None:
        self.settings = settings
        base = TINY if settings.refresh_model == "tiny" else ModelConfig()
        self.config = base.with_overrides(epochs=settings.refresh_epochs, seed=settings.refresh_seed)

    @cached_property
    def split(self) -> tuple[LabelledTexts, LabelledTexts]:
        """(train, validation) of the base data: the same split every refresh (fixed seed), read once."""
        s = self.settings
        data = load_labelled_csv(s.base_csv, "text", "label") if s.base_csv else load_production(s.data_dir)
        train, val = stratified_split(data, s.validation_fraction, s.refresh_seed)
        logger.info("base data: %d training rows, %d fixed validation rows", len(train), len(val))
        return train, val

    def validation(self) -> EvalSet:
        """The fixed validation set both models are scored on."""
        val = self.split[1]
        return EvalSet(list(val.texts), val.departments)

    def __call__(self, corrections: Sequence[Correction], out_dir: Path, version: str) -> None:
        """Train on base + corrections and write the bundle into ``out_dir`` (empty, inside the staging area)."""
        from training.classifier.export import write_bundle
        from training.classifier.train import train_model

        train, val = self.split
        data = with_corrections(train, corrections, self.settings.correction_weight)
        # The challenger's label set includes the correction labels: evaluation must know where they route.
        val = replace(val, label_to_department=data.label_to_department)
        work = out_dir.with_name(f"{out_dir.name}.work")
        try:
            trained = train_model(data, val, self.config, work / "checkpoints")
            write_bundle(
                out_dir, version, trained, self.config, data, val, data.files, self.settings.validation_fraction
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)


def build_refresher(settings: TrainerSettings, store: FeedbackStore, metrics: TrainerMetrics) -> Refresher:
    """The refresher over the real classifier training code; both models are loaded through the router's loader
    (hash verified, smoke-tested), so they are judged as they would serve."""
    challenger = ClassifierChallenger(settings)
    policy = RefreshPolicy(settings.promotion_tolerance, settings.holdout_fraction, settings.keep_bundles)
    return Refresher(
        ModelRegistry(settings.registry), store, metrics, challenger, challenger.validation, load_classifier, policy
    )
