"""Explanations: the terms that most supported a predicted label, from the linear branch's exported weights.

For the linear branch (TF-IDF word 1-2-grams + logistic regression) a term's contribution to a label's logit is
its TF-IDF value times the label's coefficient; coefficients are centred over labels so a term that pushes
every label alike explains none. Word n-grams only: the character n-grams spread over parts of words a person
cannot read. Vectorised over a batch with numpy; stems are shown as the text's own words where found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from classifier.textclean import PLACEHOLDERS, stem_word

if TYPE_CHECKING:  # Keras ships no type information: mypy sees Any behind the name
    import keras

LINEAR_LAYER = "tfidf_linear"
TERMS = 3
"""Terms per explanation."""
SURFACE_SCAN_CHARS = 2000
"""How far into the raw text a stem's own word is looked for (the linear branch reads the first 50 tokens)."""


def _readable(term: str, stopwords: frozenset[str]) -> bool:
    """A term a person can read as evidence: words of three letters or more, no placeholder, no stopword."""
    return all(len(t) > 2 and t.isalpha() and t not in PLACEHOLDERS and t not in stopwords for t in term.split(" "))


def stopwords() -> frozenset[str]:
    """scikit-learn's English stopwords and their stems (tokens are stemmed): never shown as evidence."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | {stem_word(w) for w in ENGLISH_STOP_WORDS}


class LinearExplainer:
    """Top contributing word n-grams of the linear branch for a batch of cleaned texts and predicted labels."""

    def __init__(
        self,
        vocabulary: Sequence[str],
        idf: npt.NDArray[np.float32],
        kernel: npt.NDArray[np.float32],
        max_tokens: int,
        terms: int = TERMS,
    ) -> None:
        if kernel.shape[0] != len(vocabulary) or idf.shape[0] != len(vocabulary):
            raise ValueError("the vocabulary, idf and kernel of the linear branch disagree in size")
        self.vocabulary = list(vocabulary)
        self.index = {term: i for i, term in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.kernel = np.asarray(kernel - kernel.mean(axis=1, keepdims=True), dtype=np.float32)
        self.max_tokens = max_tokens
        self.terms = terms
        common = stopwords()
        self.readable = np.fromiter((_readable(t, common) for t in self.vocabulary), bool, len(self.vocabulary))

    @classmethod
    def from_model(cls, model: keras.Model) -> LinearExplainer | None:
        """The explainer of a Keras model's linear branch; ``None`` for a model without one."""
        try:
            layer = model.get_layer(LINEAR_LAYER)
        except ValueError:
            return None
        n = len(layer.word_vocabulary)
        idf = np.asarray(layer.idf.numpy()[:n], dtype=np.float32)
        kernel = np.asarray(layer.kernel.numpy()[:n], dtype=np.float32)
        return cls(layer.word_vocabulary, idf, kernel, int(layer.max_tokens))

    def features(self, cleaned: Sequence[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """``(row, feature)`` of every in-vocabulary word 1- and 2-gram occurrence of each text's first tokens."""
        rows: list[int] = []
        feats: list[int] = []
        get = self.index.get
        for r, text in enumerate(cleaned):
            tokens = text.split(" ", self.max_tokens)[: self.max_tokens]
            grams = tokens + [a + " " + b for a, b in zip(tokens, tokens[1:], strict=False)]
            found = [j for j in map(get, grams) if j is not None]
            feats.extend(found)
            rows.extend([r] * len(found))
        return np.asarray(rows, dtype=np.int64), np.asarray(feats, dtype=np.int64)

    def contributions(
        self, cleaned: Sequence[str], label_index: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """``(row, feature, contribution)`` of each distinct term of each text to its label's centred logit."""
        rows, feats = self.features(cleaned)
        n = len(self.vocabulary)
        keys, counts = np.unique(rows * n + feats, return_counts=True)
        rows, feats = keys // n, keys % n
        value = (1.0 + np.log(counts.astype(np.float32))) * self.idf[feats]
        norm = np.sqrt(np.bincount(rows, weights=value * value, minlength=len(cleaned)))
        labels = np.asarray(label_index, dtype=np.int64)
        contribution = value / norm[rows] * self.kernel[feats, labels[rows]]
        return rows, feats, contribution.astype(np.float32)

    def explain(self, cleaned: Sequence[str], label_index: Sequence[int], raw: Sequence[str]) -> list[tuple[str, ...]]:
        """The ``terms`` readable n-grams with the largest positive contribution per text, as the text's words."""
        out: list[list[str]] = [[] for _ in cleaned]
        if not len(cleaned):
            return []
        rows, feats, contribution = self.contributions(cleaned, label_index)
        keep = (contribution > 0) & self.readable[feats]
        rows, feats, contribution = rows[keep], feats[keep], contribution[keep]
        order = np.lexsort((-contribution, rows))
        rows, feats = rows[order], feats[order]
        # Rank of each entry within its text; a few spares beyond ``terms`` replace terms covered by others.
        starts = np.searchsorted(rows, rows, side="left")
        near_top = np.arange(len(rows)) - starts < 2 * self.terms
        vocabulary = self.vocabulary
        for r, f in zip(rows[near_top].tolist(), feats[near_top].tolist(), strict=True):
            _add(out[r], vocabulary[f], self.terms)
        return [surface(text, terms) if terms else () for text, terms in zip(raw, out, strict=True)]


def _add(chosen: list[str], term: str, limit: int) -> None:
    """Add ``term`` unless a chosen term already has all its words; a longer term replaces the shorter ones."""
    words = set(term.split(" "))
    if any(words <= set(other.split(" ")) for other in chosen):
        return
    shorter = [i for i, other in enumerate(chosen) if set(other.split(" ")) < words]
    if shorter:
        chosen[shorter[0]] = term
        for i in reversed(shorter[1:]):
            del chosen[i]
    elif len(chosen) < limit:
        chosen.append(term)


def surface(raw: str, terms: Sequence[str]) -> tuple[str, ...]:
    """Each stemmed term written with the raw text's own words where found (``capit one`` -> ``capital one``)."""
    wanted = {stem for term in terms for stem in term.split(" ")}
    # Snowball writes a final y as i (deliveri <- delivery): a word is stemmed only when it starts like a stem.
    prefixes = tuple(stem[:-1] if stem.endswith("i") else stem for stem in wanted)
    words: dict[str, str] = {}
    for word in _WORDS.findall(raw[:SURFACE_SCAN_CHARS].lower()):
        if not word.startswith(prefixes):
            continue
        stem = stem_word(word)
        if stem in wanted and stem not in words:
            words[stem] = word
            if len(words) == len(wanted):
                break
    return tuple(" ".join(words.get(stem, stem) for stem in term.split(" ")) for term in terms)


_WORDS = re.compile(r"\b[^\W\d_]+")
"""A run of letters starting a word: the words a stem is looked up among (one pattern, compiled once)."""
