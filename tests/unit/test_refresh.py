"""A refresh end to end with fake training: promotion moves CURRENT, rejection does not, both are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from classifier.registry import ModelRegistry
from schemas.feedback import Feedback
from schemas.manifest import ModelManifest
from tests.unit.trainer_fakes import BASE_RULES, VALIDATION, RuleClassifier, RuleTrainer, write_bundle
from training.feedback.store import FeedbackStore
from training.metrics import TrainerMetrics
from training.promotion import is_held_back
from training.refresh import Refresher, RefreshPolicy, split_corrections

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
V0 = "20200101T000000Z"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FeedbackStore]:
    with FeedbackStore(tmp_path / "fb.sqlite3") as opened:
        yield opened


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    reg = ModelRegistry(tmp_path / "registry")
    write_bundle(reg.root / V0, V0, BASE_RULES)
    reg.set_current(V0)
    return reg


def _add_loan_corrections(store: FeedbackStore, n: int = 40) -> None:
    for i in range(n):
        store.add(
            Feedback(
                ticket_id=f"t{i}",
                text="payday advance was never refunded",
                correct_department="loans",
                agent="a1",
                created_at=T0,
            ),
            T0,
        )


def _refresher(registry: ModelRegistry, store: FeedbackStore, trainer: RuleTrainer, **policy: float) -> Refresher:
    return Refresher(
        registry,
        store,
        TrainerMetrics(CollectorRegistry()),
        trainer,
        lambda: VALIDATION,
        RuleClassifier,
        RefreshPolicy(**policy),  # type: ignore[arg-type]
    )


def test_challenger_that_learned_the_corrections_is_promoted(registry: ModelRegistry, store: FeedbackStore) -> None:
    _add_loan_corrections(store)
    trainer = RuleTrainer()
    refresher = _refresher(registry, store, trainer)
    result = refresher.run("job1")

    assert result["promoted"], result["reason"]
    new = result["version"]
    assert registry.current_version() == new and registry.history() == [V0, new]
    manifest = ModelManifest.model_validate_json((registry.path(new) / "manifest.json").read_text())
    assert manifest.version == new
    assert manifest.promotion is not None and manifest.promotion.promoted
    assert manifest.promotion.champion_version == V0
    assert manifest.promotion.champion_scores["corrections_accuracy"] == 0.0
    assert manifest.promotion.challenger_scores["corrections_accuracy"] == 1.0
    held = [f"t{i}" for i in range(40) if is_held_back(f"t{i}", 0.2)]
    assert held, "the fixture needs some held-back corrections"
    assert {c.ticket_id for c in trainer.seen[0]}.isdisjoint(held), "held-back corrections are never trained on"
    assert manifest.promotion.corrections_used == 40 - len(held)
    assert store.count_new() == 0
    assert not any(registry.staging_root.iterdir())
    body = refresher.metrics.registry.get_sample_value
    assert body("ticket_trainer_refresh_runs_total", {"outcome": "promoted"}) == 1
    assert body("ticket_trainer_current_model_info", {"version": new}) == 1
    assert body("ticket_trainer_model_score", {"role": "challenger", "metric": "corrections_accuracy"}) == 1.0


def test_corrupted_challenger_is_rejected_and_current_stays(registry: ModelRegistry, store: FeedbackStore) -> None:
    _add_loan_corrections(store)
    result = _refresher(registry, store, RuleTrainer(corrupt=True)).run("job2")

    assert not result["promoted"]
    assert registry.current_version() == V0 and registry.versions() == [V0]
    rejected = registry.rejected_root / result["version"]
    manifest = ModelManifest.model_validate_json((rejected / "manifest.json").read_text())
    assert manifest.promotion is not None and not manifest.promotion.promoted
    listing = registry.describe()
    assert [r["version"] for r in listing["rejected"]] == [result["version"]]
    assert listing["current"] == V0 and [v["version"] for v in listing["versions"]] == [V0]
    assert store.count_new() == 0, "a rejected run must not retrigger at once on the same corrections"


def test_retention_keeps_the_newest_bundles(registry: ModelRegistry, store: FeedbackStore) -> None:
    refresher = _refresher(registry, store, RuleTrainer(), keep_bundles=2)
    for round_ in range(3):
        # Each round a new kind of mistake, so each challenger is better on the held-back corrections.
        for i in range(30):
            store.add(
                Feedback(
                    ticket_id=f"r{round_}-{i}",
                    text=f"word{round_} something",
                    correct_department="collections",
                    agent="a1",
                    created_at=T0,
                ),
                T0,
            )
        assert refresher.run()["promoted"]
    assert len(registry.versions()) == 2
    assert registry.current_version() == registry.versions()[-1]
    assert registry.rollback() == registry.versions()[0]


def test_failed_training_leaves_no_trace(registry: ModelRegistry, store: FeedbackStore) -> None:
    _add_loan_corrections(store)

    def broken(*_args: object) -> None:
        raise RuntimeError("out of memory")

    refresher = _refresher(registry, store, RuleTrainer())
    refresher._train = broken  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        refresher.run()
    assert registry.versions() == [V0] and registry.current_version() == V0
    assert store.count_new() == 40, "the corrections still count as new"
    assert refresher.metrics.registry.get_sample_value("ticket_trainer_refresh_runs_total", {"outcome": "failed"}) == 1


def test_empty_registry_promotes_the_first_model(tmp_path: Path, store: FeedbackStore) -> None:
    registry = ModelRegistry(tmp_path / "empty")
    result = _refresher(registry, store, RuleTrainer()).run()
    assert result["promoted"] and registry.current_version() == result["version"]


def test_split_is_by_ticket_hash() -> None:
    from training.feedback.store import Correction

    items = [Correction(f"t{i}", "x", "loans") for i in range(100)]
    train, held = split_corrections(items, 0.2)
    assert len(train) + len(held) == 100 and 10 < len(held) < 30
    assert all(is_held_back(c.ticket_id, 0.2) for c in held)
