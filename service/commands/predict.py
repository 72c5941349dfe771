"""``ticket-router predict``: offline batch routing of a CSV or JSONL file to JSON lines, in input order."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``predict`` subcommand."""
    parser = subparsers.add_parser(
        "predict",
        help="route the texts of a CSV or JSONL file offline and write one JSON line per row",
        description="Classify every row of --input in batches and write, in input order, one JSON object per row: "
        "row (0-based), id (with --id-column), department (after the triage threshold, as the router decides), "
        "label, confidence, reason and alternatives.",
    )
    parser.add_argument("--model", type=Path, help="bundle folder (default: the registry's current version)")
    parser.add_argument("--registry", type=Path, default=None, help="registry folder (default: models/classifier)")
    parser.add_argument("--input", type=Path, required=True, help="a .csv or .jsonl file")
    parser.add_argument("--text-column", default="text", help="column (CSV) or field (JSONL) with the text")
    parser.add_argument("--id-column", help="column or field copied to each output line as id")
    parser.add_argument("--output", type=Path, help="output .jsonl file (default: standard output)")
    parser.add_argument("--threshold", type=float, help="triage threshold (default: the bundle's)")
    parser.add_argument("--top-k", type=int, default=3, help="alternatives per line (default: 3)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from service.batch_predict import predict_file, read_rows
    from service.bundle import load_bundle
    from service.paths import default_classifier_registry
    from service.registry import ModelRegistry

    path = args.model or ModelRegistry(args.registry or default_classifier_registry()).current_path()
    classifier = load_bundle(path)
    rows = read_rows(args.input, args.text_column, args.id_column)
    if args.output is None:
        count = predict_file(classifier, rows, sys.stdout, args.threshold, args.top_k)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.output.with_name(args.output.name + ".partial")
        with tmp.open("w", encoding="utf-8") as out:
            count = predict_file(classifier, rows, out, args.threshold, args.top_k)
        tmp.replace(args.output)
    logger.info("predicted %d rows with model %s", count, classifier.version)
    return 0
