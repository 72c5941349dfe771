"""Champion/challenger refresh: train on base data + corrections, compare, promote atomically or reject."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict

from classifier.prediction import Classifier
from classifier.registry import MANIFEST, ModelRegistry, write_manifest
from core.errors import ModelLoadError
from schemas.common import utc_now
from schemas.manifest import ModelManifest, PromotionDecision
from training.classifier.evaluate import EvalSet, score
from training.feedback.store import Correction, FeedbackStore
from training.metrics import TrainerMetrics
from training.promotion import Scores, decide_promotion, is_held_back

logger = logging.getLogger(__name__)


class ChallengerTrainer(Protocol):
    """Trains a classifier on the base data plus ``corrections`` and writes a complete bundle to ``out_dir``."""

    def __call__(self, corrections: Sequence[Correction], out_dir: Path, version: str) -> None: ...


Loader = Callable[[Path], Classifier]


@dataclass(frozen=True)
class RefreshPolicy:
    """The knobs of the promotion rule and of retention."""

    tolerance: float = 0.01
    holdout_fraction: float = 0.2
    keep_bundles: int = 5


def split_corrections(corrections: Sequence[Correction], fraction: float) -> tuple[list[Correction], list[Correction]]:
    """(for training, held back for judging) by a stable hash of the ticket id."""
    train: list[Correction] = []
    held: list[Correction] = []
    for c in corrections:
        (held if is_held_back(c.ticket_id, fraction) else train).append(c)
    return train, held


def as_labelled(corrections: Sequence[Correction]) -> EvalSet:
    """Corrections as texts with the department each should reach."""
    return EvalSet([c.text for c in corrections], [c.department for c in corrections])


class RefreshResult(TypedDict):
    """What one refresh did: the challenger's version, the decision and both models' scores (a job's result)."""

    version: str
    promoted: bool
    reason: str
    champion_version: str | None
    current: str | None
    champion_scores: dict[str, float]
    challenger_scores: dict[str, float]
    corrections_used: int
    corrections_held_back: int
    training_seconds: float


class Refresher:
    """One refresh at a time (the job runner guarantees it): train, score both models, decide, publish."""

    def __init__(
        self,
        registry: ModelRegistry,
        store: FeedbackStore,
        metrics: TrainerMetrics,
        train: ChallengerTrainer,
        validation: Callable[[], EvalSet],
        load: Loader,
        policy: RefreshPolicy,
    ) -> None:
        self.registry = registry
        self.store = store
        self.metrics = metrics
        self._train = train
        self._validation = validation
        self._load = load
        self.policy = policy
        self._champion: tuple[str, Classifier] | None = None

    def run(self, refresh_id: str = "") -> RefreshResult:
        """Run one refresh; returns the decision with both score sets. Raises when training or loading fails."""
        try:
            result = self._run(refresh_id)
        except Exception:
            self.metrics.refresh_runs.labels(outcome="failed").inc()
            raise
        self.metrics.refresh_runs.labels(outcome="promoted" if result["promoted"] else "rejected").inc()
        return result

    def _run(self, refresh_id: str) -> RefreshResult:
        read_at = utc_now()
        corrections = self.store.corrections()
        train, held = split_corrections(corrections, self.policy.holdout_fraction)
        held_back = as_labelled(held)
        validation = self._validation()
        champion_version = self.registry.current_or_none()
        champion_scores: Scores | None = None
        if champion_version is not None:
            champion_scores = score(self._champion_model(champion_version), validation, held_back)

        version = self.registry.new_version()
        stage = self._fresh_stage(version)
        try:
            started = time.perf_counter()
            logger.info(
                "refresh %s: training challenger %s on base data + %d corrections (%d held back)",
                refresh_id,
                version,
                len(train),
                len(held),
            )
            self._train(train, stage, version)
            seconds = time.perf_counter() - started
            self.metrics.training_seconds.observe(seconds)
            challenger_scores = score(self._load(stage), validation, held_back)
            decision = decide_promotion(champion_scores, challenger_scores, self.policy.tolerance)
            record = PromotionDecision(
                promoted=decision.promoted,
                reason=decision.reason,
                champion_version=champion_version,
                champion_scores=champion_scores.as_dict() if champion_scores else {},
                challenger_scores=challenger_scores.as_dict(),
                corrections_used=len(train),
                decided_at=utc_now(),
            )
            _record_decision(stage, version, record)
            self._publish(stage, version, decision.promoted)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        # Every correction this run saw stops counting as new, whatever the outcome: a rejected
        # challenger must not be retrained on the same data straight away.
        self.store.mark_refreshed([c.ticket_id for c in corrections], refresh_id or version, read_at)
        self._report(champion_scores, challenger_scores)
        logger.info(
            "refresh %s: challenger %s %s: %s",
            refresh_id,
            version,
            "promoted" if decision.promoted else "rejected",
            decision.reason,
        )
        return {
            "version": version,
            "promoted": decision.promoted,
            "reason": decision.reason,
            "champion_version": champion_version,
            "current": self.registry.current_or_none(),
            "champion_scores": record.champion_scores,
            "challenger_scores": record.challenger_scores,
            "corrections_used": len(train),
            "corrections_held_back": len(held),
            "training_seconds": round(seconds, 3),
        }

    def _champion_model(self, version: str) -> Classifier:
        """The current bundle, loaded once per version (a rejected refresh leaves the same champion)."""
        if self._champion is None or self._champion[0] != version:
            self._champion = (version, self._load(self.registry.path(version)))
        return self._champion[1]

    def _fresh_stage(self, version: str) -> Path:
        root = self.registry.staging_root
        # Leftovers of a run that was killed mid-training.
        if root.is_dir():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        stage = root / version
        stage.mkdir()
        return stage

    def _publish(self, stage: Path, version: str, promoted: bool) -> None:
        if promoted:
            # One rename makes the finished bundle appear whole; then CURRENT moves atomically.
            stage.rename(self.registry.root / version)
            self.registry.set_current(version)
            self.registry.prune(self.policy.keep_bundles)
            self.metrics.current_model.clear()
            self.metrics.current_model.labels(version=version).set(1)
        else:
            target = self.registry.rejected_root
            target.mkdir(parents=True, exist_ok=True)
            stage.rename(target / version)
            self.registry.prune_rejected(self.policy.keep_bundles)

    def _report(self, champion: Scores | None, challenger: Scores) -> None:
        for role, scores in (("champion", champion), ("challenger", challenger)):
            if scores is None:
                continue
            self.metrics.model_score.labels(role=role, metric="macro_f1").set(scores.macro_f1)
            self.metrics.model_score.labels(role=role, metric="corrections_accuracy").set(scores.corrections_accuracy)


def _record_decision(stage: Path, version: str, decision: PromotionDecision) -> None:
    """Write the decision (and the registry version) into the challenger's manifest."""
    path = stage / MANIFEST
    try:
        manifest = ModelManifest.model_validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"the challenger bundle has no valid manifest: {exc}") from exc
    write_manifest(stage, manifest.model_copy(update={"version": version, "promotion": decision}))
