"""The linear branch inside Keras computes what scikit-learn computes, and the two-branch model averages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.textclean import clean_texts
from training.classifier.linear import CHAR_WIDTHS, WORD_PATTERN, WORD_WIDTHS, fit_tfidf_regression, to_layer

TEXTS = [
    "my card was declined at the shop",
    "card declined again , why",
    "how do i top up my account",
    "top up failed twice",
    "i want a refund for this transfer",
    "the transfer never arrived",
    "café crème 😀 paid twice",
    "a",
    "",
    "  spaces   everywhere  ",
]
LABELS = ["card", "card", "top_up", "top_up", "transfer", "transfer", "card", "top_up", "transfer", "card"]


@pytest.mark.parametrize("text", [*TEXTS, "x", "ab", "supercalifragilistic word"])
def test_ngrams_equal_scikit_learns_analyzers(text: str) -> None:
    import tensorflow as tf
    from sklearn.feature_extraction.text import TfidfVectorizer

    from classifier.keras_layers import char_wb_ngrams, word_ngrams

    word = TfidfVectorizer(ngram_range=(1, 2), token_pattern=WORD_PATTERN)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))
    tokens = tf.strings.split(tf.constant([text]))
    for ours, analyzer in ((word_ngrams(tokens, WORD_WIDTHS), word), (char_wb_ngrams(tokens, CHAR_WIDTHS), char)):
        grams = sorted(g.decode() for g in ours[0].numpy())
        assert grams == sorted(analyzer.build_analyzer()(text))
        assert set(ours[1].numpy().tolist()) <= {0}


@pytest.mark.parametrize("labels", [LABELS, ["yes" if i % 2 else "no" for i in range(len(TEXTS))]])
def test_layer_reproduces_scikit_learns_probabilities(labels: list[str], tmp_path: Path) -> None:
    import keras

    import classifier.keras_layers  # noqa: F401 - registers the layer for loading

    cleaned = clean_texts(TEXTS)
    fitted = fit_tfidf_regression(cleaned, labels, 1_000, 1_000, 10.0, max_tokens=4)  # some texts are longer
    order = sorted(set(labels), reverse=True)  # not scikit-learn's order: the layer must reorder its outputs
    text = keras.Input(shape=(), dtype="string")
    model = keras.Model(text, to_layer(fitted, order)(text))
    probe = [*cleaned, "declin card unseen word", "zzz", "top up " * 3 + "card card card declin"]
    expected = fitted.regression.predict_proba(fitted.features(probe))
    expected = expected[:, [list(fitted.regression.classes_).index(label) for label in order]]
    got = model.predict(np.asarray(probe, dtype=object), verbose=0)
    np.testing.assert_allclose(got, expected, atol=2e-3)  # the coefficients are stored as float16
    model.save(tmp_path / "linear.keras")
    loaded = keras.saving.load_model(tmp_path / "linear.keras", compile=False, safe_mode=True)
    np.testing.assert_array_equal(loaded.predict(np.asarray(probe, dtype=object), verbose=0), got)


def test_two_branch_model_averages_its_branches() -> None:
    from training.classifier.model import TINY, branches, build_model, with_linear_branch

    cleaned = clean_texts(TEXTS)
    labels = sorted(set(LABELS))
    vocabulary = sorted({w for t in cleaned for w in t.split()})
    lstm = build_model(TINY, vocabulary, len(labels))
    assert list(branches(lstm)) == ["bilstm"]
    model = with_linear_branch(lstm, to_layer(fit_tfidf_regression(cleaned, LABELS, 100, 100, 1.0, 50), labels))
    parts = branches(model)
    batch = np.asarray(cleaned, dtype=object)
    each = [parts[name].predict(batch, verbose=0) for name in ("bilstm", "linear")]
    np.testing.assert_allclose(model.predict(batch, verbose=0), (each[0] + each[1]) / 2, atol=1e-6)
    assert model.output_shape == (None, len(labels))
