"""Ways to pick a department's threshold from its validation curve, against the shipped rule.

Run inside the project's environment: ``.venv/bin/python benchmarks/threshold_rules.py [--model DIR] [--fold-seeds
12] [--rules 0,1]``. The lowest threshold at which a department's observed validation precision reaches the target
is optimistic held out; the shipped rule guards it (``training/classifier/threshold_curves``). Each alternative
below replaces it while the curves are fitted, and every rule is scored like ``benchmarks/decisions.py``
(calibration and curves cross-fitted on the validation split, target 0.95) for each fold seed; the mean, the lowest
and each seed's precision and coverage per source are printed as one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.coverage_variants import score  # noqa: E402
from benchmarks.decisions import bundle_and_data  # noqa: E402
from classifier.textclean import clean_texts  # noqa: E402
from schemas.decisions import TARGETS, CurvePoint  # noqa: E402
from training.classifier import threshold_curves  # noqa: E402

Estimate = Callable[[npt.NDArray[np.bool_], npt.NDArray[np.float64]], npt.NDArray[np.float64]]
"""Precision estimate at each cut from the correctness and confidences sorted by falling confidence."""


def rule(estimate: Estimate) -> Callable[..., list[CurvePoint]]:
    """A curve function like the plain observed-precision one with another precision ``estimate``."""

    def curve(confidence: npt.ArrayLike, correct: npt.ArrayLike, targets: Any = TARGETS, **_: Any) -> list[CurvePoint]:
        conf = np.asarray(confidence, dtype=np.float64)
        order = np.argsort(-conf, kind="stable")
        conf, ok = conf[order], np.asarray(correct, dtype=bool)[order]
        n = len(conf)
        estimated = estimate(ok, conf)
        observed = np.cumsum(ok) / np.arange(1, n + 1)
        cut = np.r_[conf[:-1] > conf[1:], True] if n else np.zeros(0, dtype=bool)
        return [
            threshold_curves.lowest_cut(target, conf, observed, cut & (estimated >= target - 1e-9))
            for target in targets
        ]

    return curve


def _with_errors(extra: float) -> Estimate:
    """Observed precision with ``extra`` made-up misroutes added at every cut (a pseudo-count prior)."""
    return lambda ok, conf: np.cumsum(ok) / (np.arange(1, len(ok) + 1) + extra)


def _observed_or_confidence(ok: npt.NDArray[np.bool_], conf: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The lower of the observed precision and the mean calibrated confidence of the routed events."""
    n = np.arange(1, len(ok) + 1)
    return np.minimum(np.cumsum(ok) / n, np.cumsum(conf) / n)


def _patched(**values: Any) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    """The curves module with ``values`` in place of its own while a rule is scored."""

    @contextlib.contextmanager
    def patch() -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for name, value in values.items():
                stack.enter_context(mock.patch.object(threshold_curves, name, value))
            yield

    return patch


PLAIN = {"PRIOR_EVENTS": 0, "BURN_IN": None}
"""Neither guard: a department's observed precision alone (the rule shipped before the guards)."""
RULES: dict[str, Callable[[], contextlib.AbstractContextManager[Any]]] = {
    "shipped: 100 pseudo-events at the pooled precision, no dip after 20": contextlib.nullcontext,
    "observed precision alone: the lowest threshold reaching the target": _patched(**PLAIN),
    "no dip below the target above the threshold (after 20 events)": _patched(PRIOR_EVENTS=0),
    "one made-up misroute at every cut": _patched(curve=rule(_with_errors(1.0))),
    "two made-up misroutes at every cut": _patched(curve=rule(_with_errors(2.0))),
    "lower of observed precision and mean confidence": _patched(curve=rule(_observed_or_confidence)),
    "a curve of its own from 60 events (else pooled)": _patched(**PLAIN, MIN_EXAMPLES=60),
    "a curve of its own from 100 events (else pooled)": _patched(**PLAIN, MIN_EXAMPLES=100),
    "20 pseudo-events at the pooled precision": _patched(PRIOR_EVENTS=20, BURN_IN=None),
    "50 pseudo-events at the pooled precision": _patched(PRIOR_EVENTS=50, BURN_IN=None),
    "100 pseudo-events at the pooled precision": _patched(BURN_IN=None),
    "200 pseudo-events at the pooled precision": _patched(PRIOR_EVENTS=200, BURN_IN=None),
    "50 pseudo-events, no dip after 20": _patched(PRIOR_EVENTS=50),
    "50 pseudo-events, no dip after 10": _patched(PRIOR_EVENTS=50, BURN_IN=10),
    "100 pseudo-events, no dip after 10": _patched(BURN_IN=10),
}


def main() -> int:
    """Print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="bundle (default: the registry's current)")
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data (default: ../shared/data)")
    parser.add_argument("--fold-seeds", type=int, default=12, help="fold seeds 0..N-1 to score (default 12)")
    parser.add_argument("--rules", help="numbers of the rules to score, comma-separated (default: all; 0 is shipped)")
    args = parser.parse_args()
    if args.fold_seeds < 1:
        parser.error("--fold-seeds must be at least 1")
    only = set(args.rules.split(",")) if args.rules else None
    if only is not None and not only <= {str(i) for i in range(len(RULES))}:
        parser.error(f"--rules takes numbers from 0 to {len(RULES) - 1}, got {args.rules!r}")
    bundle, _, val = bundle_and_data(args.model, args.data_dir)
    probs = bundle.runner.probabilities(clean_texts(val.texts, bundle.manifest.max_chars))
    result: dict[str, Any] = {"model": bundle.version, "target": 0.95, "fold_seeds": args.fold_seeds, "rules": {}}
    for number, (name, patch) in enumerate(RULES.items()):
        if only is not None and str(number) not in only:
            continue
        with patch():
            seeds = [score(bundle.space, probs, val, seed) for seed in range(args.fold_seeds)]
        result["rules"][name] = {
            source: {
                "precision_mean": round(float(np.mean([s[source]["precision"] for s in seeds])), 4),
                "precision_lowest": min(s[source]["precision"] for s in seeds),
                "coverage_mean": round(float(np.mean([s[source]["coverage"] for s in seeds])), 4),
                "per_seed": [[s[source]["precision"], s[source]["coverage"]] for s in seeds],
            }
            for source in seeds[0]
        }
        print(f"{name}: {json.dumps(result['rules'][name]['cfpb'])}", file=sys.stderr, flush=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
