"""The model runner on a real trained bundle: bucketed batches give each text the probabilities it has alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.batch_shapes import ROW_BUCKETS
from classifier.bundle import load_bundle
from classifier.textclean import clean_texts

SENTENCE = "my card was stolen and the bank charged me twice for a payment I never made"


def test_padded_batches_give_each_text_its_own_probabilities(tiny_bundle: Path) -> None:
    import tensorflow as tf

    bundle = load_bundle(tiny_bundle)
    words = SENTENCE.split()
    raw = [" ".join(words[: 1 + i % len(words)] * (1 + i // 40)) for i in range(300)]
    cleaned = clean_texts(raw, bundle.manifest.max_chars)
    shapes: set[tuple[int, ...]] = set()
    original = bundle.runner._call

    def recording(batch: tf.Tensor) -> tf.Tensor:
        shapes.add(tuple(batch.shape))
        return original(batch)

    bundle.runner._call = recording
    batched = bundle.runner.probabilities(cleaned)
    alone = np.concatenate([bundle.runner.model(tf.constant([text]), training=False).numpy() for text in cleaned])
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    assert {rows for (rows,) in shapes} <= set(ROW_BUCKETS)
    assert len(shapes) == 2, "300 texts: one full call of 255 and one of 45 padded to 48 rows"
