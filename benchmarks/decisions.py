"""Routing decisions at the shipped policy: auto-routed precision, coverage, misroutes, triage, ECE and urgent
recall/precision per source and department, on held-out data, with a coverage-against-precision plot.

Run inside the project's environment:
``.venv/bin/python benchmarks/decisions.py [--model DIR] [--target 0.95] [--plot FILE.png]``.
Held-out: the bundle's own validation split (reproduced from its manifest; never trained on) is cut into
``--folds`` parts; each part is scored with a calibration and precision curves fitted on the other parts
(cross-fitting), so no event is scored by a policy fitted on it. The bundle's own policy, fitted on the whole
split, is scored too (``in_sample``), and the old rule (one global threshold chosen for macro-F1) beside
them. CLINC150 out-of-scope queries routed to a department count as misroutes. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier.bundle import BundleClassifier, load_bundle  # noqa: E402
from classifier.calibration import apply_temperature  # noqa: E402
from classifier.label_space import LabelSpace, Probabilities, triage_rule  # noqa: E402
from classifier.registry import ModelRegistry  # noqa: E402
from classifier.textclean import clean_texts  # noqa: E402
from core.paths import default_classifier_registry, default_data_dir  # noqa: E402
from schemas.common import DEPARTMENTS, TRIAGE  # noqa: E402
from schemas.decisions import TARGETS, DecisionCurves  # noqa: E402
from service.policy import PrecisionPolicy  # noqa: E402
from service.priority import DEFAULT_PRIORITY_FILE, load_priorities  # noqa: E402
from training.classifier.calibrate import calibrate, department_ece  # noqa: E402
from training.classifier.data import LabelledTexts, load_production  # noqa: E402
from training.classifier.evaluate import choose_threshold  # noqa: E402
from training.classifier.recalibrate import validation_split  # noqa: E402
from training.classifier.threshold_curves import SOURCE_SEGMENT, decision_curves  # noqa: E402

ISSUE_TARGETS = {
    "cfpb": {"precision": 0.95, "coverage": 0.55},
    "banking77": {"precision": 0.95, "coverage": 0.98, "urgent_recall": 0.95},
    "clinc150": {"precision": 0.95, "coverage": 0.97, "out_of_scope_recall": 0.95, "urgent_recall": 0.95},
}


PRIORITIES = load_priorities(DEFAULT_PRIORITY_FILE)
"""The shipped urgent labels, with the router's default urgent mass."""


class Routed:
    """Where each validation event goes under one policy: department, auto-routed or not, flagged urgent or not."""

    def __init__(self, department: np.ndarray, auto: np.ndarray, urgent: np.ndarray) -> None:
        self.department, self.auto, self.urgent = department, auto, urgent


class Predicted(NamedTuple):
    """The router's prediction for every row: department, its confidence, its priority (urgent or not)."""

    department: np.ndarray
    confidence: np.ndarray
    urgent: np.ndarray


def predict_all(space: LabelSpace, probs: Probabilities) -> Predicted:
    """Predictions of every row of ``probs`` (computed once per set of probabilities)."""
    predictions = space.predictions(probs, 0)
    return Predicted(
        np.asarray([p.department for p in predictions], dtype=object),
        np.asarray([p.confidence for p in predictions]),
        np.asarray([PRIORITIES.of_prediction(p) == "urgent" for p in predictions], dtype=bool),
    )


def route(predicted: Predicted, thresholds: Sequence[dict[str, float]]) -> Routed:
    """Whether each prediction clears its threshold by the router's triage rule (out-of-scope predictions never do)."""
    department, confidence, urgent = predicted
    auto = np.asarray(
        [
            triage_rule(d, c, t.get(d, math.inf))[1] == "confident"
            for d, c, t in zip(department.tolist(), confidence.tolist(), thresholds, strict=True)
        ],
        dtype=bool,
    )
    return Routed(department, auto, urgent)


class FoldFit(NamedTuple):
    """A policy fitted on the other folds, for the rows of one fold."""

    score_rows: np.ndarray
    curves: DecisionCurves
    fallback: float


def fit_folds(space: LabelSpace, probs: Probabilities, val: LabelledTexts, folds: int, seed: int
              ) -> tuple[list[FoldFit], Probabilities]:  # fmt: skip
    """Calibration and curves fitted on all folds but one, for each fold; every row's calibrated probabilities
    come from the fit that did not see it."""
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{s}|{d}" for s, d in zip(val.sources, val.departments, strict=True)]
    calibrated = np.zeros_like(probs)
    fits = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_rows, score_rows in splitter.split(np.zeros(len(strata)), strata):
        fit = val.subset(fit_rows.tolist())
        calibration, calibrated_fit = calibrate(space, probs[fit_rows], fit.labels, fit.departments)
        curves = decision_curves(space, calibrated_fit, fit.departments, fit.sources)
        fits.append(FoldFit(score_rows, curves, choose_threshold(space, calibrated_fit, fit.departments)))
        calibrated[score_rows] = apply_temperature(probs[score_rows], calibration.temperature)
    return fits, calibrated


def cross_fitted(predicted: Predicted, val: LabelledTexts, fits: list[FoldFit], policy: PrecisionPolicy) -> Routed:
    """Every event routed by the policy fitted on the other folds."""
    thresholds: list[dict[str, float]] = [{} for _ in val.texts]
    for fit in fits:
        tables = {seg: policy.thresholds(fit.curves, fit.fallback, seg) for seg in ("complaint", "social", "all")}
        for i in fit.score_rows.tolist():
            thresholds[i] = tables[SOURCE_SEGMENT.get(val.sources[i], "all")]
    return route(predicted, thresholds)


def rates(true: np.ndarray, routed: Routed, rows: np.ndarray) -> dict[str, Any]:
    """Auto-routed precision, coverage of in-scope events, misroute rate and triage share of ``rows``."""
    t, dep, auto = true[rows], routed.department[rows], routed.auto[rows]
    inscope = t != TRIAGE
    correct = auto & (dep == t)
    out: dict[str, Any] = {
        "n": int(rows.sum()),
        "auto_routed": int(auto.sum()),
        "precision": round(float(correct.sum() / auto.sum()), 4) if auto.any() else None,
        "coverage": round(float(auto[inscope].mean()), 4) if inscope.any() else None,
        "misroute_rate": round(float((auto & (dep != t)).mean()), 4) if len(t) else None,
        "triage_share": round(float((~auto).mean()), 4) if len(t) else None,
    }
    if (~inscope).any():
        out["out_of_scope_recall"] = round(float((~auto[~inscope]).mean()), 4)
    return out


def urgent(labels: np.ndarray, routed: Routed, rows: np.ndarray) -> dict[str, Any]:
    """Recall and precision of the urgent flag (the router's rule), and where truly urgent events went."""
    truth = np.asarray([label in PRIORITIES.urgent for label in labels[rows]])
    flagged = routed.urgent[rows]
    if not truth.any():
        return {}
    hits = int((truth & flagged).sum())
    return {
        "urgent_events": int(truth.sum()),
        "urgent_recall": round(hits / int(truth.sum()), 4),
        "urgent_precision": round(hits / int(flagged.sum()), 4) if flagged.any() else None,
        "urgent_auto_routed": round(float(routed.auto[rows][truth].mean()), 4),
    }


def scorecard(val: LabelledTexts, routed: Routed, space: LabelSpace, probs: Probabilities) -> dict[str, Any]:
    """Overall, per source (with ECE and urgent figures) and per true department."""
    true = np.asarray(val.departments, dtype=object)
    sources = np.asarray(val.sources, dtype=object)
    labels = np.asarray(val.labels, dtype=object)
    everything = np.ones(len(true), dtype=bool)
    out: dict[str, Any] = {"overall": rates(true, routed, everything), "by_source": {}, "by_department": {}}
    out["overall"]["ece"] = round(department_ece(space, probs, val.departments), 4)
    for source in sorted(set(val.sources)):
        rows = sources == source
        card = rates(true, routed, rows)
        card["ece"] = round(department_ece(space, probs[rows], true[rows].tolist()), 4)
        card |= urgent(labels, routed, rows)
        out["by_source"][source] = card
    for department in sorted(set(val.departments)):
        card = rates(true, routed, true == department)
        to_it = routed.auto & (routed.department == department)
        card["precision_of_routed_here"] = round(float((true[to_it] == department).mean()), 4) if to_it.any() else None
        out["by_department"][department] = card
    out["by_source_department"] = {
        source: {
            d: rates(true, routed, (sources == source) & (true == d)) for d in sorted(set(true[sources == source]))
        }
        for source in sorted(set(val.sources))
    }
    return out


def global_threshold_sweep(predicted: Predicted, val: LabelledTexts) -> dict[str, list[Any]]:
    """Precision and coverage per source at one global threshold (the old rule's family), 0.30..0.99."""
    true = np.asarray(val.departments, dtype=object)
    sources = np.asarray(val.sources, dtype=object)
    out: dict[str, list[Any]] = {}
    for t in np.round(np.arange(0.30, 0.995, 0.01), 2):
        routed = route(predicted, [dict.fromkeys(DEPARTMENTS, float(t))] * len(true))
        for source in sorted(set(val.sources)):
            r = rates(true, routed, sources == source)
            out.setdefault(source, []).append([float(t), r["precision"], r["coverage"]])
    return out


def plot(sweep: dict[str, Any], baseline: dict[str, Any], shipped: float, path: Path) -> None:
    """Coverage of in-scope events against auto-routed precision per source: the targets' policy, one global
    threshold for comparison, and the shipped target marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    colours = {"cfpb": "tab:red", "banking77": "tab:blue", "clinc150": "tab:green"}
    for source, colour in colours.items():
        points = [(row[source]["coverage"], row[source]["precision"], row["target"]) for row in sweep["targets"]]
        cov, prec, targets = zip(*points, strict=True)
        ax.plot(cov, prec, "o-", color=colour, ms=3, label=f"{source}: precision targets 0.80-0.99 per department")
        mark = [i for i, t in enumerate(targets) if abs(t - shipped) < 1e-9]
        for i in mark:
            ax.plot(cov[i], prec[i], "*", color=colour, ms=14, mec="black")
        g = [p for p in baseline[source] if p[1] is not None]
        ax.plot([p[2] for p in g], [p[1] for p in g], ":", color=colour, alpha=0.7,
                label=f"{source}: one global threshold 0.30-0.99")  # fmt: skip
    ax.axhline(0.95, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("coverage: share of in-scope events routed automatically")
    ax.set_ylabel("auto-routed precision (held out, cross-fitted)")
    ax.set_title(f"Coverage against precision per source (star: the shipped target {shipped})")
    ax.set_ylim(0.8, 1.001)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def bundle_and_data(model: Path | None, data_dir: Path | None) -> tuple[BundleClassifier, LabelledTexts, LabelledTexts]:
    """The bundle (default: the registry's current), the shared data and the bundle's own validation split."""
    bundle = load_bundle(model or ModelRegistry(default_classifier_registry()).current_path())
    data = load_production(data_dir or default_data_dir())
    return bundle, data, validation_split(bundle.manifest, data)


def main() -> int:
    """Print the JSON; write the plot."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="bundle (default: the registry's current)")
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data (default: ../shared/data)")
    parser.add_argument("--target", type=float, default=0.95, help="the precision target scored (default: 0.95)")
    parser.add_argument("--folds", type=int, default=5, help="cross-fitting folds of the validation split")
    parser.add_argument("--seed", type=int, default=0, help="seed of the folds")
    parser.add_argument("--plot", type=Path, default=Path("benchmarks/results/decisions.png"), help="plot file")
    args = parser.parse_args()
    bundle, _, val = bundle_and_data(args.model, args.data_dir)
    space = bundle.space
    raw = bundle.runner.probabilities(clean_texts(val.texts, bundle.manifest.max_chars))
    true = val.departments
    policy = PrecisionPolicy(target=args.target)
    fits, calibrated = fit_folds(space, raw, val, args.folds, args.seed)
    predicted = predict_all(space, calibrated)
    routed = cross_fitted(predicted, val, fits, policy)
    result: dict[str, Any] = {
        "model": bundle.version,
        "validation_rows": len(val),
        "target": args.target,
        "held_out": scorecard(val, routed, space, calibrated),
        "issue_targets": ISSUE_TARGETS,
    }
    result["held_out"]["ece_before_calibration"] = round(department_ece(space, raw, true), 4)
    shipped = apply_temperature(raw, bundle.temperature)
    segments = [SOURCE_SEGMENT.get(s, "all") for s in val.sources]
    fallback = bundle.manifest.triage_threshold
    tables = {seg: policy.thresholds(bundle.decision_curves, fallback, seg) for seg in set(segments)}
    in_sample = route(predict_all(space, shipped), [tables[s] for s in segments])
    result["in_sample"] = {k: v for k, v in scorecard(val, in_sample, space, shipped).items()
                           if k in ("overall", "by_source")}  # fmt: skip
    old = choose_threshold(space, raw, true)
    old_routed = route(predict_all(space, raw), [dict.fromkeys(DEPARTMENTS, old)] * len(true))
    result["old_global_threshold"] = {"threshold": old} | {
        k: v for k, v in scorecard(val, old_routed, space, raw).items() if k in ("overall", "by_source")
    }
    sweep = []
    for target in TARGETS:
        swept = cross_fitted(predicted, val, fits, PrecisionPolicy(target=target))
        card = scorecard(val, swept, space, calibrated)["by_source"]
        sweep.append({"target": target} | {s: {k: card[s][k] for k in ("precision", "coverage")} for s in card})
    result["sweep"] = {"targets": sweep}
    baseline = global_threshold_sweep(predicted, val)
    plot(result["sweep"], baseline, args.target, args.plot)
    result["plot"] = str(args.plot)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
