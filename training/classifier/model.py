"""The classifier: its hyper-parameters, ``build_model`` (cleaned string in, softmax out), the linear branch join."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, TypedDict, Unpack

import numpy as np

if TYPE_CHECKING:  # Keras ships no type information: mypy sees Any behind these names
    import keras

    from classifier.keras_layers import TfidfLogisticRegression


@dataclass(frozen=True)
class ModelConfig:
    """Everything that shapes the model and its training; recorded in the bundle manifest."""

    vocab_size: int = 25_000
    embedding_dim: int = 50
    glove: bool = True
    lstm_units: int = 64
    spatial_dropout: float = 0.1
    dropout: float = 0.5
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    batch_size: int = 64
    epochs: int = 50
    patience: int = 5
    lr_patience: int = 2
    """Epochs without validation-loss improvement before the learning rate is cut to 0.3× (0: never)."""
    label_smoothing: float = 0.1
    """Softened targets: the softmax is kept from fitting the training labels with certainty (less over-fitting)."""
    class_weight_power: float = 0.5
    source_weight_power: float = 0.0
    """Per-source balancing of the Bi-LSTM's loss: 1 gives each source the same total weight, 0 weighs rows alike."""
    linear_branch: bool = True
    """Average the Bi-LSTM's softmax with a TF-IDF logistic regression's (their errors differ: +1.5 points)."""
    linear_word_features: int = 5_000
    linear_char_features: int = 10_000
    linear_c: float = 10.0
    """Inverse L2 strength of the linear branch's logistic regression."""
    linear_tokens: int = 50
    """The linear branch reads a text's first 50 tokens (4x cheaper on narratives, CFPB macro-F1 0.747 -> 0.732)."""
    seed: int = 42

    def to_manifest(self) -> dict[str, float | int | str | bool]:
        """The config as flat manifest values."""
        return dict(asdict(self))

    def with_overrides(self, **overrides: Unpack[ConfigOverrides]) -> ModelConfig:
        """A copy with the given (non-None) fields replaced."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **changes)  # type: ignore[arg-type]  # each value has its field's type (ConfigOverrides)


class ConfigOverrides(TypedDict, total=False):
    """The fields a command may override; None keeps the recipe's value."""

    epochs: int | None
    patience: int | None
    batch_size: int | None
    lstm_units: int | None
    embedding_dim: int | None
    vocab_size: int | None
    learning_rate: float | None
    dropout: float | None
    label_smoothing: float | None
    source_weight_power: float | None
    seed: int | None
    glove: bool | None
    linear_branch: bool | None


TINY = ModelConfig(
    vocab_size=2_000,
    embedding_dim=16,
    glove=False,
    lstm_units=8,
    learning_rate=1e-2,
    epochs=8,
    patience=2,
    lr_patience=0,
    dropout=0.3,
    label_smoothing=0.0,
    batch_size=16,
    linear_word_features=500,
    linear_char_features=1_000,
)
"""A model that trains in seconds: for tests and smoke runs, not for routing."""


def build_model(
    config: ModelConfig, vocabulary: Sequence[str], n_labels: int, embeddings: np.ndarray | None = None
) -> keras.Model:
    """String → TextVectorization → Embedding(mask_zero) → BiLSTM → masked max-pool → dropout → softmax.

    ``vocabulary`` excludes the padding and out-of-vocabulary entries (Keras adds them at 0 and 1);
    ``embeddings`` (optional) has one row per final vocabulary entry, i.e. ``len(vocabulary) + 2`` rows.
    The vectorizer pads each batch to its longest text (texts are already cut by the cleaning), so one
    traced graph serves every batch shape.
    """
    import keras

    from classifier.keras_layers import MaskedGlobalMaxPooling1D

    keras.utils.set_random_seed(config.seed)
    text = keras.Input(shape=(), dtype="string", name="text")
    vectorize = keras.layers.TextVectorization(
        standardize=None, split="whitespace", output_mode="int", vocabulary=list(vocabulary), name="vectorize"
    )
    size = len(vocabulary) + 2
    if embeddings is not None and embeddings.shape != (size, config.embedding_dim):
        raise ValueError(f"embeddings have shape {embeddings.shape}, expected {(size, config.embedding_dim)}")
    embed = keras.layers.Embedding(size, config.embedding_dim, mask_zero=True, name="embed")
    x = embed(vectorize(text))
    if config.spatial_dropout:
        x = keras.layers.SpatialDropout1D(config.spatial_dropout)(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(config.lstm_units, return_sequences=True), name="bilstm")(x)
    x = MaskedGlobalMaxPooling1D(name="max_over_time")(x)
    x = keras.layers.Dropout(config.dropout)(x)
    probs = keras.layers.Dense(n_labels, activation="softmax", name="labels")(x)
    model = keras.Model(text, probs, name="ticket_classifier")
    if embeddings is not None:
        # Set after building, not as a Constant initializer: that would copy the matrix into the saved config.
        embed.set_weights([embeddings])
    model.compile(
        optimizer=keras.optimizers.AdamW(config.learning_rate, weight_decay=config.weight_decay, clipnorm=1.0),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=["accuracy"],
    )
    return model


def with_linear_branch(model: keras.Model, linear: TfidfLogisticRegression) -> keras.Model:
    """The trained Bi-LSTM and a fitted linear branch layer on the same input, their softmaxes averaged."""
    import keras

    text = model.inputs[0]
    probs = keras.layers.Average(name="average")([model.outputs[0], linear(text)])
    return keras.Model(text, probs, name=model.name)


def branches(model: keras.Model) -> dict[str, keras.Model]:
    """Each branch of a two-branch model as a model of its own (for evaluation); a plain Bi-LSTM is its only branch."""
    import keras

    names = {"bilstm": "labels", "linear": "tfidf_linear"}
    found = {b: layer for b, name in names.items() if (layer := _layer(model, name)) is not None}
    if "linear" not in found:
        return {"bilstm": model}
    return {b: keras.Model(model.inputs, layer.output) for b, layer in found.items()}


def _layer(model: keras.Model, name: str) -> keras.layers.Layer | None:
    try:
        return model.get_layer(name)
    except ValueError:
        return None


def inference_model(model: keras.Model) -> keras.Model:
    """The same layers and weights without the optimizer: what the bundle saves (a third of the size)."""
    import keras

    return keras.Model(model.inputs, model.outputs, name=model.name)
