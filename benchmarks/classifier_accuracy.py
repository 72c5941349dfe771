"""The Bi-LSTM bundle beside the TF-IDF + logistic-regression anchor on the same validation split.

Run inside the project's environment:
``.venv/bin/python benchmarks/classifier_accuracy.py [--model DIR] [--generic] [--speed]``.
The production split is the one the bundle was trained with (``training.classifier.data.stratified_split``
with the bundle's seed), so its validation rows were never trained on. ``--generic`` also trains the
77-intent Banking77 model with the generic trainer and its anchor on that file's own split; ``--speed``
measures batched inference (batch 256, cleaning included) on short and long texts. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import model_ceiling  # noqa: E402
from classifier.bundle import BundleClassifier, ModelRunner, load_bundle  # noqa: E402
from classifier.label_space import LabelSpace  # noqa: E402
from classifier.registry import ModelRegistry  # noqa: E402
from classifier.textclean import clean_text, clean_texts  # noqa: E402
from core.paths import default_classifier_registry, default_data_dir  # noqa: E402
from schemas.common import DEPARTMENTS  # noqa: E402
from training.classifier.data import (  # noqa: E402
    BANKING77,
    LabelledTexts,
    load_labelled_csv,
    load_production,
    stratified_split,
)
from training.classifier.evaluate import (  # noqa: E402
    ClassificationMetrics,
    HeadlineKey,
    choose_threshold,
    source_metrics,
)

if TYPE_CHECKING:  # scikit-learn ships no type information: mypy sees Any behind the name
    from sklearn.pipeline import Pipeline

TARGETS = {
    "cfpb.macro_f1": 0.65,
    "banking77.accuracy": 0.96,
    "clinc150.in_scope_accuracy": 0.95,
    "clinc150.out_of_scope_recall": 0.95,
    "banking77_intents.accuracy": 0.92,
}


def anchor_pipeline() -> Pipeline:
    """TF-IDF word 1-2-grams + character 2-5-grams, multinomial logistic regression (the issue's anchor)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=300_000),
    )
    return make_pipeline(features, LogisticRegression(C=10.0, max_iter=2000))


def flat(by_source: Mapping[str, ClassificationMetrics]) -> dict[str, float]:
    """The issue's headline numbers per source."""
    out: dict[str, float] = {}
    keys: tuple[HeadlineKey, ...] = ("accuracy", "macro_f1", "in_scope_accuracy", "out_of_scope_recall")
    for source, metrics in by_source.items():
        for key in keys:
            if key in metrics:
                out[f"{source}.{key}"] = metrics[key]
    return out


def scored(space: LabelSpace, probs: Any, val: LabelledTexts) -> dict[str, Any]:
    """The triage threshold chosen by the bundle's rule on ``val`` and the headline numbers with it."""
    threshold = choose_threshold(space, probs, val.departments)
    by_source = source_metrics(val.departments, space.routed(probs, threshold), val.sources)
    return {"threshold": threshold, **flat(by_source)}


def anchor_production(train: LabelledTexts, val: LabelledTexts) -> dict[str, Any]:
    """The anchor on departments, its triage threshold chosen by the bundle's rule on the same split."""
    started = time.perf_counter()
    model = anchor_pipeline().fit(train.texts, train.departments)
    seconds = time.perf_counter() - started
    classes = [str(c) for c in model.classes_]
    space = LabelSpace(classes, {c: c for c in classes})
    probs = model.predict_proba(val.texts).astype("float32")
    return {"train_seconds": round(seconds, 1), **scored(space, probs, val)}


def bilstm_production(bundle: BundleClassifier, val: LabelledTexts) -> dict[str, Any]:
    """The committed bundle with its own threshold on the validation split, then each of its branches alone
    (with a threshold chosen by the same rule on the same split)."""
    from training.classifier.model import branches

    probs = bundle.probabilities(val.texts)
    by_source = source_metrics(val.departments, bundle.space.routed(probs, bundle.triage_threshold), val.sources)
    training = bundle.manifest.training
    result: dict[str, Any] = {
        "version": bundle.version,
        "threshold": bundle.triage_threshold,
        "train_seconds": training.get("train_seconds"),
        **flat(by_source),
    }
    parts = branches(bundle.runner.model)
    if len(parts) > 1:
        cleaned = clean_texts(val.texts, bundle.manifest.max_chars)
        for name, model in parts.items():
            result[f"{name}_alone"] = scored(bundle.space, ModelRunner(model).probabilities(cleaned), val)
    return result


def generic_intents(data_dir: Path) -> dict[str, Any]:
    """Banking77's 77 intents: the generic trainer's Bi-LSTM and the anchor on that file's own split."""
    from training.classifier.evaluate import evaluate_on_validation
    from training.classifier.model import ModelConfig, branches
    from training.classifier.train import train_model

    data = load_labelled_csv(data_dir / BANKING77, "text", "intent")
    train, val = stratified_split(data)
    started = time.perf_counter()
    anchor = anchor_pipeline().fit(train.texts, train.labels)
    anchor_acc = float((anchor.predict(val.texts) == val.labels).mean())
    anchor_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as work:
        trained = train_model(train, val, ModelConfig(), Path(work))
    evaluation = evaluate_on_validation(trained.model, trained.labels, val)
    bilstm = {"accuracy": evaluation.headline["label_accuracy"], "train_seconds": round(trained.seconds, 1)}
    parts = branches(trained.model)
    if len(parts) > 1:
        for name, model in parts.items():
            alone = evaluate_on_validation(model, trained.labels, val)
            bilstm[f"{name}_alone_accuracy"] = alone.headline["label_accuracy"]
    return {
        "validation_rows": len(val),
        "anchor": {"accuracy": round(anchor_acc, 4), "train_seconds": round(anchor_s, 1)},
        "bilstm": bilstm,
    }


def speed(bundle: BundleClassifier, val: LabelledTexts, n: int = 2048) -> dict[str, float]:
    """Events/s of ``bundle.predict`` in batches of 256 (cleaning included) and cleaning µs per message."""
    out: dict[str, float] = {}
    for kind, sources in (("short", {"banking77", "clinc150"}), ("long", {"cfpb"})):
        texts = [t for t, s in zip(val.texts, val.sources, strict=True) if s in sources]
        texts = (texts * (n // len(texts) + 1))[:n]
        out[f"{kind}_events_per_s"] = round(model_ceiling(bundle, texts)[0])
        started = time.perf_counter()
        for text in texts:
            clean_text(text)
        out[f"{kind}_cleaning_us_per_msg"] = round((time.perf_counter() - started) / n * 1e6, 1)
    return out


def main() -> int:
    """Print the side-by-side JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="bundle (default: the registry's current)")
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data (default: ../shared/data)")
    parser.add_argument("--generic", action="store_true", help="also train the 77-intent Banking77 model")
    parser.add_argument("--speed", action="store_true", help="also measure batched inference speed")
    parser.add_argument("--no-anchor", action="store_true", help="skip the TF-IDF anchor (the bundle's figures only)")
    args = parser.parse_args()
    data_dir = args.data_dir or default_data_dir()
    bundle = load_bundle(args.model or ModelRegistry(default_classifier_registry()).current_path())
    data = load_production(data_dir)
    recorded = {f.path: f.sha256 for f in bundle.manifest.data}
    if any(recorded.get(f.path) != f.sha256 for f in data.files):
        print("warning: the data differ from the bundle's training data", file=sys.stderr)
    train, val = stratified_split(data, seed=int(bundle.manifest.training.get("seed", 42)))
    result: dict[str, Any] = {
        "split": {"train_rows": len(train), "validation_rows": len(val), "departments": list(DEPARTMENTS)},
        "production": {"bilstm": bilstm_production(bundle, val)},
        "targets": TARGETS,
    }
    if not args.no_anchor:
        result["production"]["anchor_tfidf_lr"] = anchor_production(train, val)
    if args.generic:
        result["banking77_intents"] = generic_intents(data_dir)
    if args.speed:
        result["speed"] = speed(bundle, val)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
