"""The linear branch: TF-IDF word and character n-grams + logistic regression, fitted with scikit-learn."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from training.classifier.model import ModelConfig

if TYPE_CHECKING:  # scikit-learn, SciPy and Keras ship no type information: mypy sees Any behind these names
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from classifier.keras_layers import TfidfLogisticRegression

logger = logging.getLogger(__name__)

WORD_WIDTHS = (1, 2)
CHAR_WIDTHS = (2, 3, 4, 5)
WORD_PATTERN = r"\S+"
"""Word tokens are the cleaned text's whitespace-separated tokens (what the Bi-LSTM sees too)."""
SMALL = 1_000
"""Fewer training texts than this keep every n-gram (min_df 1), more keep those seen in two texts or more."""


def first_tokens(cleaned: Sequence[str], max_tokens: int) -> list[str]:
    """Each cleaned text cut to its first ``max_tokens`` tokens: what the branch reads."""
    return [" ".join(text.split()[:max_tokens]) for text in cleaned]


@dataclass(frozen=True)
class TfidfRegression:
    """The fitted scikit-learn parts: word and ``char_wb`` vectorizers, the logistic regression, the text cut."""

    word: TfidfVectorizer
    char: TfidfVectorizer
    regression: LogisticRegression
    max_tokens: int

    def features(self, cleaned: Sequence[str]) -> csr_matrix:
        """The sparse TF-IDF matrix of cleaned texts: word block, then character block."""
        from scipy.sparse import hstack

        texts = first_tokens(cleaned, self.max_tokens)
        return hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()


def fit_tfidf_regression(
    cleaned: Sequence[str], labels: Sequence[str], word_features: int, char_features: int, c: float, max_tokens: int
) -> TfidfRegression:
    """Fit the vectorizers and the regression on cleaned texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    # An n-gram seen in one text only is noise on real data; a small CSV may have few repeated ones.
    common = {"min_df": 2 if len(cleaned) >= SMALL else 1, "sublinear_tf": True, "dtype": np.float32}
    word = TfidfVectorizer(
        ngram_range=(WORD_WIDTHS[0], WORD_WIDTHS[-1]), token_pattern=WORD_PATTERN, max_features=word_features, **common
    )
    char = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(CHAR_WIDTHS[0], CHAR_WIDTHS[-1]), max_features=char_features, **common
    )
    texts = first_tokens(cleaned, max_tokens)
    word.fit(texts)
    char.fit(texts)
    fitted = TfidfRegression(word, char, LogisticRegression(C=c, max_iter=2000), max_tokens)
    fitted.regression.fit(fitted.features(cleaned), list(labels))
    return fitted


def to_layer(fitted: TfidfRegression, label_order: Sequence[str]) -> TfidfLogisticRegression:
    """The fitted model as a :class:`TfidfLogisticRegression` layer whose outputs follow ``label_order``."""
    from classifier.keras_layers import TfidfLogisticRegression

    classes = [str(x) for x in fitted.regression.classes_]
    if sorted(classes) != sorted(label_order):
        raise ValueError("the linear branch's labels differ from the model's")
    coef, intercept = fitted.regression.coef_, fitted.regression.intercept_
    if len(classes) == 2:  # scikit-learn keeps one logit for two classes; softmax([-z/2, z/2]) = sigmoid(z)
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    order = [classes.index(label) for label in label_order]
    layer = TfidfLogisticRegression(
        fitted.word.get_feature_names_out().tolist(),
        fitted.char.get_feature_names_out().tolist(),
        len(label_order),
        WORD_WIDTHS,
        CHAR_WIDTHS,
        fitted.max_tokens,
        name="tfidf_linear",
    )
    layer.idf.assign(np.concatenate([fitted.word.idf_, fitted.char.idf_]).astype(np.float32))
    layer.kernel.assign(coef[order].T.astype(np.float16))
    layer.bias.assign(intercept[order].astype(np.float32))
    return layer


def fit_linear_branch(
    cleaned: Sequence[str], labels: Sequence[str], label_order: Sequence[str], config: ModelConfig
) -> TfidfLogisticRegression:
    """Fit on cleaned texts and return the branch as a Keras layer (outputs in ``label_order``)."""
    started = time.perf_counter()
    logger.info("fitting the linear branch (TF-IDF n-grams + logistic regression) on %d texts", len(cleaned))
    fitted = fit_tfidf_regression(
        cleaned, labels, config.linear_word_features, config.linear_char_features, config.linear_c, config.linear_tokens
    )
    logger.info(
        "linear branch: %d word + %d character n-grams, fitted in %.1f s",
        len(fitted.word.vocabulary_), len(fitted.char.vocabulary_), time.perf_counter() - started,
    )  # fmt: skip
    return to_layer(fitted, label_order)
