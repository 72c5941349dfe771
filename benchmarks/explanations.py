"""Explanation terms: the linear branch's top contributions against gradient x input on the Bi-LSTM, and what
explanations cost the router.

Run inside the project's environment: ``.venv/bin/python benchmarks/explanations.py [--model DIR] [--n 300]``.
On a sample of the bundle's validation split (two thirds short messages, one third narratives) it reports, for
each method: how often a top term names a word of the true intent or department (a person's reading, as the
label names it: ``lost_or_stolen_card`` -> lost, stolen, card), how much the full model's probability of the
predicted label drops when the top terms are deleted from the text (against deleting as many random words),
the overlap of the two methods' terms, and CPU microseconds per event. Then the router's own batch step
(``process_batch``, batches of 1,024) with explanations off, for triage events only (the default) and for
every event: CPU per event and the share explanations add. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.decisions import bundle_and_data  # noqa: E402
from classifier.bundle import BundleClassifier  # noqa: E402
from classifier.explain import stopwords  # noqa: E402
from classifier.textclean import PLACEHOLDERS, clean_texts, stem_word  # noqa: E402
from service.decisions import DecisionRules, ExplainScope  # noqa: E402
from service.heap import settle_heap  # noqa: E402
from service.pipeline import BatchPolicy, process_batch  # noqa: E402
from service.routing import InRecord  # noqa: E402
from training.classifier.data import LabelledTexts  # noqa: E402

TERMS = 3


def gradient_x_input(bundle: BundleClassifier, cleaned: Sequence[str], label_index: Sequence[int]) -> list[list[str]]:
    """Top tokens by gradient x input of the Bi-LSTM branch's probability of the label (embedding space)."""
    import tensorflow as tf

    model = bundle.runner.model
    vectorize, embed = model.get_layer("vectorize"), model.get_layer("embed")
    bilstm, pool, dense = model.get_layer("bilstm"), model.get_layer("max_over_time"), model.get_layer("labels")
    ids = vectorize(tf.constant(list(cleaned)))
    mask = tf.not_equal(ids, 0)
    with tf.GradientTape() as tape:
        vectors = embed(ids)
        tape.watch(vectors)
        probs = dense(pool(bilstm(vectors, mask=mask), mask=mask))
        picked = tf.gather(probs, tf.constant(list(label_index)), axis=1, batch_dims=1)
    scores = tf.reduce_sum(tape.gradient(picked, vectors) * vectors, axis=-1).numpy()
    common = stopwords()
    out = []
    for row, text in enumerate(cleaned):
        tokens = text.split(" ")
        ranked = sorted(range(len(tokens)), key=lambda j: -scores[row, j])
        chosen: list[str] = []
        for j in ranked:
            t = tokens[j]
            if scores[row, j] <= 0 or len(chosen) == TERMS:
                break
            if t not in chosen and t.isalpha() and len(t) > 2 and t not in PLACEHOLDERS and t not in common:
                chosen.append(t)
        out.append(chosen)
    return out


def name_words(label: str, department: str) -> set[str]:
    """The stems of the words a person reads in a label's name (an intent), or the department for complaints."""
    name = department if label.startswith("cfpb:") else label.partition(":")[2] or label
    return {stem_word(w) for w in name.replace("-", "_").split("_") if len(w) > 2}


def stems(terms: Sequence[str]) -> set[str]:
    """The stems of the words of some terms."""
    return {stem_word(w) for term in terms for w in term.lower().split()}


def deletion_drop(bundle: BundleClassifier, cleaned: Sequence[str], label_index: Sequence[int],
                  removed: Sequence[set[str]]) -> float:  # fmt: skip
    """Mean drop of the full model's probability of each label once the given stems are deleted from its text."""
    before = bundle.runner.probabilities(list(cleaned))
    edited = [
        " ".join(t for t in text.split(" ") if t not in gone) or "tokempty"
        for text, gone in zip(cleaned, removed, strict=True)
    ]
    after = bundle.runner.probabilities(edited)
    rows = np.arange(len(cleaned))
    idx = np.asarray(label_index)
    return round(float((before[rows, idx] - after[rows, idx]).mean()), 4)


def sample(val: LabelledTexts, n: int, seed: int) -> LabelledTexts:
    """Two thirds short messages, one third narratives."""
    rng = random.Random(seed)
    short = [i for i, s in enumerate(val.sources) if s != "cfpb"]
    long = [i for i, s in enumerate(val.sources) if s == "cfpb"]
    return val.subset(rng.sample(short, 2 * n // 3) + rng.sample(long, n - 2 * n // 3))


def methods(bundle: BundleClassifier, data: LabelledTexts, seed: int) -> dict[str, Any]:
    """Agreement with the label names, deletion faithfulness, overlap and cost of both methods."""
    cleaned = clean_texts(data.texts, bundle.manifest.max_chars)
    predictions = bundle.predict(data.texts)
    index = {label: i for i, label in enumerate(bundle.manifest.labels)}
    label_index = [index[p.label] for p in predictions]
    assert bundle.explainer is not None, "the bundle has no linear branch to explain with"
    started = time.process_time()
    linear = bundle.explainer.explain(cleaned, label_index, data.texts)
    linear_us = (time.process_time() - started) / len(cleaned) * 1e6
    started = time.process_time()
    gradient = gradient_x_input(bundle, cleaned, label_index)
    gradient_us = (time.process_time() - started) / len(cleaned) * 1e6
    rng = random.Random(seed)
    out: dict[str, Any] = {"events": len(cleaned)}
    for name, terms, cost in (("linear_terms", linear, linear_us), ("gradient_x_input", gradient, gradient_us)):
        found = [stems(t) for t in terms]
        named = [bool(f & name_words(p.label, p.department)) for f, p in zip(found, predictions, strict=True)]
        cleaned_stems = [set(text.split(" ")) for text in cleaned]
        random_sets = [
            set(rng.sample(sorted(c), min(len(f), len(c)))) for f, c in zip(found, cleaned_stems, strict=True)
        ]
        out[name] = {
            "with_terms": round(float(np.mean([bool(t) for t in terms])), 4),
            "names_the_label": round(float(np.mean(named)), 4),
            "deletion_drop": deletion_drop(bundle, cleaned, label_index, found),
            "random_deletion_drop": deletion_drop(bundle, cleaned, label_index, random_sets),
            "cpu_us_per_event": round(cost, 1),
            "examples": [list(t) for t in terms[:5]],
        }
    overlap = [len(stems(a) & set(b)) / TERMS for a, b in zip(linear, gradient, strict=True)]
    out["overlap_at_3"] = round(float(np.mean(overlap)), 4)
    return out


def router_cost(bundle: BundleClassifier, texts: Sequence[str], kind: str, repeats: int = 15) -> dict[str, Any]:
    """CPU microseconds per event of the router's batch step with explanations off, for triage, for all.

    The three scopes take turns ``repeats`` times and each keeps its best pass, so a machine that slows down
    part-way weighs on all three alike.
    """
    extra = {"platform": "x", "author": "@a"} if kind == "social" else {}
    events = [json.dumps({"kind": kind, "event_id": f"e{i}", "text": t, "created_at": "2026-12-01T00:00:00Z", **extra})
              for i, t in enumerate(texts)]  # fmt: skip
    records = [InRecord("in", 0, i, None, e.encode(), 0) for i, e in enumerate(events)]
    now = datetime.now(UTC)
    scopes: tuple[ExplainScope, ...] = ("off", "triage", "all")
    policies = {scope: BatchPolicy("routed.", "dlq", 1_000_000, rules=DecisionRules(explain=scope)) for scope in scopes}
    best = dict.fromkeys(scopes, float("inf"))
    out: dict[str, Any] = {}
    for scope in scopes:  # a first full pass of each: the model's batch shapes and caches are warm for all three
        process_batch(records, bundle, policies[scope], now)
    settle_heap()  # as the router does once its model serves: full collections skip TensorFlow's objects
    for _ in range(repeats):
        for scope in scopes:
            started = time.process_time()
            result = process_batch(records, bundle, policies[scope], now)
            best[scope] = min(best[scope], time.process_time() - started)
            out[f"{scope}_triage_share"] = round(np.mean([r.department == "triage" for r in result.routed]), 4)
    for scope in scopes:
        out[f"{scope}_cpu_us_per_event"] = round(best[scope] / len(records) * 1e6, 1)
    for scope in ("triage", "all"):
        out[f"{scope}_added_share"] = round(out[f"{scope}_cpu_us_per_event"] / out["off_cpu_us_per_event"] - 1, 4)
    return out


def main() -> int:
    """Print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="bundle (default: the registry's current)")
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data (default: ../shared/data)")
    parser.add_argument("--n", type=int, default=300, help="events in the agreement sample")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample")
    args = parser.parse_args()
    bundle, _, val = bundle_and_data(args.model, args.data_dir)
    result: dict[str, Any] = {
        "model": bundle.version,
        "agreement": methods(bundle, sample(val, args.n, args.seed), args.seed),
    }
    rng = random.Random(args.seed)
    short = rng.sample([t for t, s in zip(val.texts, val.sources, strict=True) if s != "cfpb"], 1024)
    long = rng.sample([t for t, s in zip(val.texts, val.sources, strict=True) if s == "cfpb"], 1024)
    result["router_cost"] = {
        "short": router_cost(bundle, short, "social"),
        "narratives": router_cost(bundle, long, "complaint"),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
