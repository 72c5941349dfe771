"""Load a classifier bundle (manifest + verified model file) and classify batches through one traced function."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import ValidationError

from classifier.batch_shapes import ROW_BUCKETS, padded
from classifier.calibration import apply_temperature
from classifier.explain import LinearExplainer
from classifier.label_space import LabelSpace, Probabilities
from classifier.prediction import MAX_ALTERNATIVES, Prediction
from classifier.prediction import smoke_test as check_predictions
from classifier.registry import MANIFEST
from classifier.textclean import CLEANING_VERSION, clean_texts
from core.errors import ModelLoadError, TicketRouterError, describe_exception
from core.hashing import sha256_file
from schemas.common import describe_validation_error
from schemas.decisions import DecisionCurves
from schemas.manifest import ModelManifest

if TYPE_CHECKING:  # Keras ships no type information: mypy sees Any behind the name
    import keras

logger = logging.getLogger(__name__)


class ModelRunner:
    """A Keras model behind one ``tf.function`` over a string batch of any size: traced once, never eager.

    Texts are grouped by length before batching so short messages are not padded to a narrative's length;
    each call is padded to a bucketed shape (:mod:`classifier.batch_shapes`); probabilities come back in input
    order.
    """

    def __init__(self, model: keras.Model) -> None:
        import tensorflow as tf

        self._tf = tf
        self.model = model
        self.batch_size = ROW_BUCKETS[-1] - 1
        """Texts per model call: the largest bucket holds them and the filler row that sets the length."""
        self.n_outputs = int(model.output_shape[-1])
        self._call = tf.function(
            lambda texts: model(texts, training=False), input_signature=[tf.TensorSpec([None], tf.string)]
        )

    def probabilities(self, cleaned: Sequence[str]) -> Probabilities:
        """``(len(cleaned), n_outputs)`` softmax outputs for already-cleaned texts."""
        out = np.zeros((len(cleaned), self.n_outputs), dtype=np.float32)
        order = sorted(range(len(cleaned)), key=lambda i: len(cleaned[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = self._tf.constant(padded([cleaned[i] for i in rows]), dtype=self._tf.string)
            out[rows] = self._call(batch).numpy()[: len(rows)]
        return out


class BundleClassifier:
    """A loaded, verified bundle: the router's :class:`~classifier.prediction.Classifier`."""

    def __init__(
        self, path: Path, manifest: ModelManifest, runner: ModelRunner, alternatives: int = MAX_ALTERNATIVES
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.runner = runner
        self.space = LabelSpace(manifest.labels, manifest.label_to_department)
        self.alternatives = alternatives
        self.temperature = manifest.calibration.temperature if manifest.calibration else 1.0
        self.explainer = LinearExplainer.from_model(runner.model)
        self._label_index = {label: i for i, label in enumerate(manifest.labels)}
        self._cleaned: dict[str, str] = {}
        """The last batch's cleaned texts: explaining some of them does not clean them again."""

    @property
    def version(self) -> str:
        """The bundle version."""
        return self.manifest.version

    @property
    def triage_threshold(self) -> float:
        """The threshold chosen on validation data when the bundle was trained."""
        return self.manifest.triage_threshold

    @property
    def decision_curves(self) -> DecisionCurves | None:
        """The bundle's precision-target curves (``None`` for a bundle trained before them)."""
        return self.manifest.decisions

    def probabilities(self, texts: Sequence[str]) -> Probabilities:
        """Calibrated label probabilities (columns in ``manifest.labels`` order) for raw texts, cleaned here."""
        cleaned = clean_texts(texts, self.manifest.max_chars)
        self._cleaned = dict(zip(texts, cleaned, strict=True))
        return apply_temperature(self.runner.probabilities(cleaned), self.temperature)

    def explain(self, texts: Sequence[str], labels: Sequence[str]) -> list[tuple[str, ...]]:
        """The terms that most supported each text's label (none for a model without a linear branch)."""
        if self.explainer is None or not texts:
            return [() for _ in texts]
        cached = self._cleaned
        cleaned = [cached.get(t) or clean_texts([t], self.manifest.max_chars)[0] for t in texts]
        index = [self._label_index[label] for label in labels]
        return self.explainer.explain(cleaned, index, texts)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per raw text, in order; the model is called once per 255 texts."""
        if not texts:
            return []
        return self.space.predictions(self.probabilities(texts), self.alternatives)

    def smoke_test(self) -> None:
        """Classify a fixed batch and check the answers are well-formed; raises :class:`ModelLoadError`."""
        check_predictions(self)


def read_manifest(path: Path) -> ModelManifest:
    """The validated manifest of the bundle directory ``path``; :class:`ModelLoadError` for any failure."""
    file = path / MANIFEST
    if not path.is_dir():
        raise ModelLoadError(f"model bundle {path} is not a directory")
    if not file.is_file():
        raise ModelLoadError(f"model bundle {path} has no {MANIFEST}")
    try:
        return ModelManifest.model_validate_json(file.read_bytes())
    except ValidationError as exc:
        raise ModelLoadError(f"{file} is not a valid manifest: {describe_validation_error(exc)}") from None
    except OSError as exc:
        raise ModelLoadError(f"cannot read {file}: {exc.strerror or exc}") from None


def verify_model_file(path: Path, manifest: ModelManifest) -> Path:
    """The model file's path once it lies inside the bundle and its sha256 matches the manifest.

    A model file that leads out of the bundle folder (a symlink elsewhere) is refused: what is loaded must be
    what the registry holds. :class:`ModelLoadError` for any failure.
    """
    model_file = path / manifest.model_file
    if not model_file.is_file():
        raise ModelLoadError(f"model bundle {path}: model file {manifest.model_file} is missing")
    if not model_file.resolve().is_relative_to(path.resolve()):
        raise ModelLoadError(
            f"model bundle {path}: model file {manifest.model_file} leads outside the bundle; refusing to load it"
        )
    try:
        actual = sha256_file(model_file)
    except OSError as exc:
        raise ModelLoadError(f"model bundle {path}: cannot read {manifest.model_file}: {exc.strerror or exc}") from None
    if actual != manifest.model_sha256:
        raise ModelLoadError(
            f"model bundle {path}: sha256 of {manifest.model_file} is {actual[:12]}…, the manifest says "
            f"{manifest.model_sha256[:12]}… (corrupt or replaced file); refusing to load it"
        )
    return model_file


def load_bundle(path: Path) -> BundleClassifier:
    """Read, verify (manifest, sha256, cleaning version, output size) and load a bundle directory.

    Any failure, whatever the files hold (junk, a ``config.json`` nested 100,000 deep, wrong types), is a
    :class:`ModelLoadError`, so a bad bundle is refused and never crashes a command or the model watcher.
    """
    manifest = read_manifest(path)
    model_file = verify_model_file(path, manifest)
    if manifest.cleaning_version != CLEANING_VERSION:
        raise ModelLoadError(
            f"model bundle {path} was trained with text cleaning v{manifest.cleaning_version}; this router "
            f"cleans with v{CLEANING_VERSION} (retrain the model or run the matching router)"
        )
    import keras

    import classifier.keras_layers  # noqa: F401 - registers the custom layers for deserialisation

    try:
        runner = ModelRunner(keras.saving.load_model(model_file, compile=False, safe_mode=True))
    except Exception as exc:  # noqa: BLE001 - the file's content is untrusted: any failure is a refusal
        raise ModelLoadError(
            f"model bundle {path}: cannot load {manifest.model_file}: {describe_exception(exc)}"
        ) from exc
    if runner.n_outputs != len(manifest.labels):
        raise ModelLoadError(
            f"model bundle {path}: the model has {runner.n_outputs} outputs, the manifest {len(manifest.labels)} labels"
        )
    try:
        loaded = BundleClassifier(path, manifest, runner)
    except TicketRouterError as exc:
        raise ModelLoadError(f"model bundle {path}: {exc}") from exc
    logger.info("loaded model bundle %s (version %s, %d labels)", path, manifest.version, len(manifest.labels))
    return loaded
