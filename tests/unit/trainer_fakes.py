"""Test doubles for the trainer: bundles that are only a manifest, and a classifier that reads it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from classifier.prediction import Prediction
from schemas.common import utc_now
from schemas.manifest import ModelManifest
from tests.unit.forecast_fakes import weekly_series, write_fake_bundle
from training.classifier.evaluate import EvalSet
from training.feedback.store import Correction
from training.forecast.serving import ForecastService

VALIDATION = EvalSet(
    ["card charged twice", "mortgage escrow", "card declined", "home loan rate"],
    ["cards", "mortgages", "cards", "mortgages"],
)


def write_bundle(path: Path, version: str, rules: dict[str, str], broken: bool = False) -> None:
    """A bundle whose 'model' is a word → department table."""
    path.mkdir(parents=True, exist_ok=True)
    model = json.dumps({"rules": rules, "broken": broken}).encode()
    (path / "model.json").write_bytes(model)
    manifest = ModelManifest(
        version=version,
        created_at=utc_now(),
        model_file="model.json",
        model_sha256=hashlib.sha256(model).hexdigest(),
        labels=sorted({"cards", "mortgages", *rules.values()}),
        label_to_department={d: d for d in {"cards", "mortgages", *rules.values()}},  # type: ignore[misc]
        triage_threshold=0.5,
        cleaning_version="test",
        validation_metrics={"accuracy": 0.5},
    )
    (path / "manifest.json").write_text(manifest.model_dump_json())


class RuleClassifier:
    """Predicts the department of the first rule word found in the text, else ``cards``."""

    def __init__(self, path: Path) -> None:
        manifest = ModelManifest.model_validate_json((path / "manifest.json").read_text())
        model = json.loads((path / manifest.model_file).read_text())
        self.rules: dict[str, str] = model["rules"]
        self._version = manifest.version

    @property
    def version(self) -> str:
        return self._version

    @property
    def triage_threshold(self) -> float:
        return 0.5

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        out = []
        for text in texts:
            dept = next((d for w, d in self.rules.items() if w in text), "cards")
            out.append(Prediction(dept, dept, 0.9))
        return out


BASE_RULES = {"card": "cards", "mortgage": "mortgages", "home": "mortgages"}


class RuleTrainer:
    """'Trains' by learning the first word of each correction; ``corrupt`` learns the wrong department."""

    def __init__(self, corrupt: bool = False) -> None:
        self.corrupt = corrupt
        self.seen: list[list[Correction]] = []

    def __call__(self, corrections: Sequence[Correction], out_dir: Path, version: str) -> None:
        self.seen.append(list(corrections))
        rules = dict(BASE_RULES)
        for c in corrections:
            rules[c.text.split()[0]] = "cards" if self.corrupt else c.department
        if self.corrupt:
            rules["mortgage"] = "cards"
        write_bundle(out_dir, "trained", rules)


def forecast_service(tmp_path: Path) -> ForecastService:
    """A real forecast service over the forecaster's TF-free test bundle (seasonal naive, horizon 28)."""
    return ForecastService.from_directory(write_fake_bundle(tmp_path / "forecast", weekly_series()))
