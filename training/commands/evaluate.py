"""``ticket-trainer evaluate``: score a model bundle on a labelled CSV and print the metrics as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli import Subparsers, unit_interval


def register(subparsers: Subparsers) -> None:
    """Add the ``evaluate`` subcommand."""
    parser = subparsers.add_parser(
        "evaluate",
        help="print accuracy, macro-F1 and per-class metrics of a bundle on a labelled CSV (JSON)",
        description="Classify every row of --input with the bundle and compare with --label-column. Labels may be "
        "department names (scored after the triage threshold, as the router routes) or the bundle's own labels "
        "(scored by top label; departments are reported too). With triage among the true departments the output "
        "also has out_of_scope_recall and in_scope_accuracy.",
    )
    parser.add_argument("--model", type=Path, help="bundle folder (default: the registry's current version)")
    parser.add_argument("--registry", type=Path, default=None, help="registry folder (default: models/classifier)")
    parser.add_argument("--input", type=Path, required=True, help="labelled CSV file")
    parser.add_argument("--text-column", default="text", help="text column (default: text)")
    parser.add_argument("--label-column", default="label", help="label column (default: label)")
    parser.add_argument("--threshold", type=unit_interval, help="triage threshold in [0, 1] (default: the bundle's)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from classifier.bundle import load_bundle
    from classifier.registry import ModelRegistry
    from core.errors import DataError
    from core.paths import default_classifier_registry
    from training.classifier.data import read_csv
    from training.classifier.evaluate import evaluate_rows

    rows = read_csv(args.input, [args.text_column, args.label_column])  # a bad file fails before the model loads
    if not rows:
        raise DataError(f"{args.input}: no rows to evaluate")
    path = args.model or ModelRegistry(args.registry or default_classifier_registry()).current_path()
    bundle = load_bundle(path)
    texts = [r[args.text_column] for r in rows]
    labels = [r[args.label_column] for r in rows]
    threshold = bundle.triage_threshold if args.threshold is None else args.threshold
    result = evaluate_rows(bundle, texts, labels, threshold)
    print(json.dumps({"model": bundle.version, "input": str(args.input), **result}, indent=2))  # noqa: T201
    sys.stdout.flush()
    return 0
