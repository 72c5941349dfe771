"""Fit the Bi-LSTM: cleaned texts in length-grouped batches, balanced weights, early stopping, checkpoints."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from classifier.textclean import clean_texts
from core.errors import DataError
from training.classifier.data import LabelledTexts
from training.classifier.linear import fit_linear_branch
from training.classifier.model import ModelConfig, build_model, with_linear_branch
from training.classifier.vocab import build_vocabulary, glove_matrix

if TYPE_CHECKING:  # Keras and TensorFlow ship no type information: mypy sees Any behind these names
    import keras
    import tensorflow as tf

logger = logging.getLogger(__name__)

CHECKPOINT = "best.keras"
SORT_WINDOW = 50
"""Batches drawn together and grouped by length: short messages are not padded to a narrative's length."""


@dataclass
class TrainedModel:
    """A fitted model with its label order, learning curves and cost."""

    model: keras.Model
    labels: list[str]
    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int
    seconds: float
    vocabulary_size: int


def sample_weights(
    labels: Sequence[str], sources: Sequence[str], power: float, source_power: float = 0.0
) -> np.ndarray:
    """Per-row weights that balance labels within each source: ``(n_source / (k * n_label)) ** power``,
    times ``(n / (s * n_source)) ** source_power`` across the ``s`` sources (1: every source weighs the same in
    total), normalised to mean 1 (CFPB's 71 payments complaints weigh more than its 2,551 credit reports)."""
    weights = np.ones(len(labels), dtype=np.float32)
    by_source: dict[str, list[int]] = {}
    for i, source in enumerate(sources):
        by_source.setdefault(source, []).append(i)
    for rows in by_source.values():
        counts = Counter(labels[i] for i in rows)
        share = (len(labels) / (len(by_source) * len(rows))) ** source_power
        for i in rows:
            weights[i] = (len(rows) / (len(counts) * counts[labels[i]])) ** power * share
    return np.asarray(weights / weights.mean(), dtype=np.float32)


def _batches(
    texts: Sequence[str], y: np.ndarray, w: np.ndarray, batch_size: int, rng: np.random.Generator | None
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Shuffled (when ``rng``) batches, each of texts of similar length."""
    lengths = np.fromiter((t.count(" ") for t in texts), dtype=np.int64, count=len(texts))
    order = np.arange(len(texts))
    if rng is not None:
        rng.shuffle(order)
    window = batch_size * SORT_WINDOW
    order = np.concatenate(
        [c[np.argsort(lengths[c], kind="stable")] for c in np.array_split(order, max(1, -(-len(order) // window)))]
    )
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    for rows in batches:
        yield np.asarray([texts[i] for i in rows], dtype=object), y[rows], w[rows]


def _dataset(
    texts: Sequence[str], y: np.ndarray, w: np.ndarray, n_labels: int, batch_size: int, seed: int | None
) -> tf.data.Dataset:
    import tensorflow as tf

    rng = np.random.default_rng(seed) if seed is not None else None
    spec = (
        tf.TensorSpec([None], tf.string),
        tf.TensorSpec([None], tf.int32),
        tf.TensorSpec([None], tf.float32),
    )
    n_batches = -(-len(texts) // batch_size)
    ds = tf.data.Dataset.from_generator(lambda: _batches(texts, y, w, batch_size, rng), output_signature=spec)
    ds = ds.apply(tf.data.experimental.assert_cardinality(n_batches))
    # One-hot targets: Keras's sparse cross-entropy has no label smoothing.
    ds = ds.map(lambda x, t, sw: (x, tf.one_hot(t, n_labels), sw))
    return ds.prefetch(2) if seed is not None else ds.cache()


def train_model(train: LabelledTexts, val: LabelledTexts, config: ModelConfig, checkpoint_dir: Path) -> TrainedModel:
    """Clean, build the vocabulary on the training part only, fit with early stopping on validation loss."""
    import keras

    keras.utils.set_random_seed(config.seed)
    started = time.perf_counter()
    labels = sorted(set(train.labels))
    if len(labels) < 2:
        raise DataError(f"a classifier needs at least two labels to learn from; the training data has {labels}")
    index = {label: i for i, label in enumerate(labels)}
    missing = sorted(set(val.labels) - set(index))
    if missing:
        raise ValueError(f"validation labels never seen in training: {missing[:5]}")
    train_clean, val_clean = clean_texts(train.texts), clean_texts(val.texts)
    vocabulary = build_vocabulary(train_clean, config.vocab_size)
    embeddings = glove_matrix(vocabulary, config.embedding_dim, config.seed) if config.glove else None
    logger.info(
        "training on %d texts, validating on %d; %d labels; vocabulary %d (cleaning took %.1f s)",
        len(train), len(val), len(labels), len(vocabulary) + 2, time.perf_counter() - started,
    )  # fmt: skip
    model = build_model(config, vocabulary, len(labels), embeddings)
    y_train = np.asarray([index[label] for label in train.labels], dtype=np.int32)
    y_val = np.asarray([index[label] for label in val.labels], dtype=np.int32)
    weights = sample_weights(train.labels, train.sources, config.class_weight_power, config.source_weight_power)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True),
        keras.callbacks.ModelCheckpoint(checkpoint_dir / CHECKPOINT, monitor="val_loss", save_best_only=True),
    ]
    if config.lr_patience:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.3, patience=config.lr_patience, min_lr=1e-5)
        )
    # Keras prints its progress on stdout; the command's stdout is reserved for its JSON result.
    with contextlib.redirect_stdout(sys.stderr):
        fit = model.fit(
            _dataset(train_clean, y_train, weights, len(labels), config.batch_size, config.seed),
            validation_data=_dataset(val_clean, y_val, np.ones(len(val_clean), np.float32), len(labels), 256, None),
            epochs=config.epochs,
            callbacks=callbacks,
            shuffle=False,
            verbose=1 if sys.stderr.isatty() else 2,
        )
    if config.linear_branch:
        model = with_linear_branch(model, fit_linear_branch(train_clean, train.labels, labels, config))
    history = {k: [float(v) for v in vs] for k, vs in fit.history.items()}
    val_loss = history.get("val_loss", [0.0])
    return TrainedModel(
        model=model,
        labels=labels,
        history=history,
        epochs_run=len(val_loss),
        best_epoch=int(np.argmin(val_loss)) + 1,
        seconds=time.perf_counter() - started,
        vocabulary_size=len(vocabulary) + 2,
    )
