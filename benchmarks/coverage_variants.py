"""Variants that might lift narratives' coverage at 95% precision without retraining the Bi-LSTM: the linear
branch refitted on more of each text, and other weights of the two branches' average.

Run inside the project's environment: ``.venv/bin/python benchmarks/coverage_variants.py [--model DIR]
[--tokens 50,100,200] [--weights 0.35,0.5,0.65]``. The bundle's Bi-LSTM branch is kept; each linear branch is
fitted with scikit-learn on the bundle's training split (as training does) and averaged with it. Every variant is
scored like ``benchmarks/decisions.py``: calibration and curves cross-fitted on the validation split, at the
target 0.95. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.decisions import bundle_and_data, cross_fitted, fit_folds, predict_all, scorecard  # noqa: E402
from classifier.bundle import ModelRunner  # noqa: E402
from classifier.label_space import LabelSpace, Probabilities  # noqa: E402
from classifier.textclean import clean_texts  # noqa: E402
from service.policy import PrecisionPolicy  # noqa: E402
from training.classifier.data import LabelledTexts, stratified_split  # noqa: E402
from training.classifier.linear import fit_tfidf_regression  # noqa: E402
from training.classifier.model import branches  # noqa: E402


def score(space: LabelSpace, probs: Probabilities, val: LabelledTexts, fold_seed: int) -> dict[str, Any]:
    """Precision and coverage per source at the target 0.95, cross-fitted as the decisions benchmark does."""
    fits, calibrated = fit_folds(space, probs, val, 5, fold_seed)
    routed = cross_fitted(predict_all(space, calibrated), val, fits, PrecisionPolicy(target=0.95))
    card = scorecard(val, routed, space, calibrated)["by_source"]
    return {s: {k: card[s][k] for k in ("precision", "coverage")} for s in card}


def main() -> int:
    """Print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="bundle (default: the registry's current)")
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data (default: ../shared/data)")
    parser.add_argument("--tokens", default="50,100,200", help="linear-branch text lengths to fit (tokens)")
    parser.add_argument("--weights", default="0.35,0.65", help="linear-branch weights of the average to try")
    parser.add_argument("--fold-seed", type=int, default=0, help="seed of the cross-fitting folds (default 0)")
    args = parser.parse_args()
    bundle, data, val = bundle_and_data(args.model, args.data_dir)
    manifest = bundle.manifest
    train, _ = stratified_split(data, float(manifest.training.get("validation_fraction", 0.15)),
                                int(manifest.training.get("seed", 42)))  # fmt: skip
    space = bundle.space
    val_clean = clean_texts(val.texts, manifest.max_chars)
    train_clean = clean_texts(train.texts, manifest.max_chars)
    parts = branches(bundle.runner.model)
    lstm = ModelRunner(parts["bilstm"]).probabilities(val_clean)
    shipped = bundle.runner.probabilities(val_clean)

    def scored(probs: Probabilities) -> dict[str, Any]:
        return score(space, probs, val, args.fold_seed)

    result: dict[str, Any] = {"model": bundle.version, "shipped": scored(shipped)}
    t = manifest.training
    for tokens in (int(x) for x in args.tokens.split(",")):
        fitted = fit_tfidf_regression(train_clean, train.labels, int(t["linear_word_features"]),
                                      int(t["linear_char_features"]), float(t["linear_c"]), tokens)  # fmt: skip
        order = [list(fitted.regression.classes_).index(label) for label in space.labels]
        linear = fitted.regression.predict_proba(fitted.features(val_clean))[:, order].astype(np.float32)
        result[f"linear_{tokens}_tokens"] = scored((lstm + linear) / 2)
        if tokens == int(t["linear_tokens"]):
            for w in (float(x) for x in args.weights.split(",")):
                result[f"linear_{tokens}_tokens_weight_{w}"] = scored(w * linear + (1 - w) * lstm)
        print(json.dumps({k: v.get("cfpb") for k, v in result.items() if isinstance(v, dict)}), file=sys.stderr)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
