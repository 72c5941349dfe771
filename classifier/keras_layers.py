"""Custom Keras layers of the classifier, registered so a saved ``.keras`` bundle loads with ``safe_mode``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras
from keras import ops

if TYPE_CHECKING:  # TensorFlow ships no type information: mypy sees Any behind these names
    import tensorflow as tf


@keras.saving.register_keras_serializable(package="ticket_router")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):  # type: ignore[misc]  # keras is untyped
    """Max over time of the real (unmasked) steps; Keras's own max pooling ignores the padding mask."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: tf.Tensor, mask: tf.Tensor | None = None) -> tf.Tensor:
        if mask is not None:
            keep = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
            # Padded steps are pushed far below any activation, so they never win the max.
            inputs = inputs * keep + (1.0 - keep) * -1e9
        return ops.max(inputs, axis=1)

    def compute_mask(self, inputs: tf.Tensor, mask: tf.Tensor | None = None) -> None:
        return None

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], input_shape[2])


def word_ngrams(tokens: tf.RaggedTensor, widths: tuple[int, ...]) -> tuple[tf.Tensor, tf.Tensor]:
    """N-grams of whitespace tokens (a ragged ``[texts, tokens]`` tensor) joined by a space, as
    ``(grams, text of each gram)``: scikit-learn's word analyzer with ``token_pattern=r"\\S+"``."""
    import tensorflow as tf

    grams = tf.strings.ngrams(tokens, ngram_width=widths, separator=" ")
    return grams.flat_values, grams.value_rowids()


def char_wb_ngrams(tokens: tf.RaggedTensor, widths: tuple[int, ...]) -> tuple[tf.Tensor, tf.Tensor]:
    """Character n-grams of each space-padded token, as ``(grams, text of each gram)``: scikit-learn's
    ``char_wb`` analyzer (a token shorter than a width yields itself once)."""
    import tensorflow as tf

    chars = tf.strings.unicode_split(tf.strings.join([" ", tokens.flat_values, " "]), "UTF-8")
    grams = tf.strings.ngrams(chars, ngram_width=widths, separator="")
    return grams.flat_values, tf.gather(tokens.value_rowids(), grams.value_rowids())


@keras.saving.register_keras_serializable(package="ticket_router")
class TfidfLogisticRegression(keras.layers.Layer):  # type: ignore[misc]  # keras is untyped
    """A multinomial logistic regression over TF-IDF word and character n-grams: raw strings in, softmax out.

    It computes exactly scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` features (word and ``char_wb``
    n-grams of the widths the fitted vectorizers used, each block L2-normalised) and applies a fitted
    ``LogisticRegression``'s coefficients (stored as float16) to them, with sparse arithmetic: nothing of
    vocabulary width per text.
    Only the first ``max_tokens`` tokens of a text are read (a narrative's n-grams would cost more than the
    Bi-LSTM; the start of a complaint says what it is about).
    """

    def __init__(
        self,
        word_vocabulary: list[str],
        char_vocabulary: list[str],
        n_labels: int,
        word_widths: tuple[int, ...],
        char_widths: tuple[int, ...],
        max_tokens: int,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        import tensorflow as tf

        self.word_vocabulary = list(word_vocabulary)
        self.char_vocabulary = list(char_vocabulary)
        self.n_labels = int(n_labels)
        self.word_widths = tuple(word_widths)
        self.char_widths = tuple(char_widths)
        self.max_tokens = int(max_tokens)
        n_words = len(self.word_vocabulary)
        self._n_features = n_features = n_words + len(self.char_vocabulary)
        self._word_table, self._char_table = (
            tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tf.constant(grams, tf.string), tf.range(lo, hi, dtype=tf.int64)),
                default_value=-1,
            )
            for grams, lo, hi in ((self.word_vocabulary, 0, n_words), (self.char_vocabulary, n_words, n_features))
        )
        self.idf = self.add_weight(shape=(n_features,), initializer="ones", trainable=False, name="idf")
        self.kernel = self.add_weight(
            shape=(n_features, self.n_labels), initializer="zeros", trainable=False, dtype="float16", name="kernel"
        )
        self.bias = self.add_weight(shape=(self.n_labels,), initializer="zeros", trainable=False, name="bias")

    def _block(
        self, grams: tf.Tensor, rows: tf.Tensor, table: tf.lookup.StaticHashTable, batch: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """``(row, feature, normalised tf-idf)`` of one vectorizer's n-grams that are in the vocabulary."""
        import tensorflow as tf

        ids = table.lookup(grams)
        known = ids >= 0
        n = tf.constant(self._n_features, tf.int64)
        keys, _, counts = tf.unique_with_counts(tf.boolean_mask(rows * n + ids, known))
        row, feature = keys // n, keys % n
        value = (1.0 + tf.math.log(tf.cast(counts, tf.float32))) * tf.gather(self.idf, feature)
        norm = tf.sqrt(tf.math.unsorted_segment_sum(value * value, row, batch))
        return row, feature, value / tf.gather(norm, row)

    def call(self, texts: tf.Tensor) -> tf.Tensor:
        import tensorflow as tf

        batch = tf.shape(texts, out_type=tf.int64)[0]
        tokens = tf.strings.split(texts)[:, : self.max_tokens]
        word = self._block(*word_ngrams(tokens, self.word_widths), self._word_table, batch)
        char = self._block(*char_wb_ngrams(tokens, self.char_widths), self._char_table, batch)
        row, feature, value = (tf.concat([w, c], axis=0) for w, c in zip(word, char, strict=True))
        weights = tf.cast(tf.gather(self.kernel, feature), tf.float32) * value[:, None]
        logits = tf.math.unsorted_segment_sum(weights, row, batch) + self.bias
        return tf.nn.softmax(logits)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], self.n_labels)

    def get_config(self) -> dict[str, object]:
        return {
            **super().get_config(),
            "word_vocabulary": self.word_vocabulary,
            "char_vocabulary": self.char_vocabulary,
            "n_labels": self.n_labels,
            "word_widths": list(self.word_widths),
            "char_widths": list(self.char_widths),
            "max_tokens": self.max_tokens,
        }
