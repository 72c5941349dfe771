"""``ticket-router predict``: offline batch routing of a CSV or JSONL file to JSON lines, in input order."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from service.cli_base import bounded_int, unit_interval
from service.prediction import MAX_ALTERNATIVES

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
    parser.add_argument("--threshold", type=unit_interval, help="triage threshold in [0, 1] (default: the bundle's)")
    parser.add_argument(
        "--top-k",
        type=bounded_int(1, MAX_ALTERNATIVES),
        default=3,
        help=f"alternatives per line, 1 to {MAX_ALTERNATIVES} (default: 3)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from service.batch_predict import predict_file, read_rows
    from service.bundle import load_bundle
    from service.paths import default_classifier_registry
    from service.registry import ModelRegistry
    from service.textfiles import atomic_output

    rows = read_rows(args.input, args.text_column, args.id_column)  # a bad file fails before the model loads
    with atomic_output(args.output) as out:
        path = args.model or ModelRegistry(args.registry or default_classifier_registry()).current_path()
        classifier = load_bundle(path)
        count = predict_file(classifier, rows, out, args.threshold, args.top_k)
    logger.info("predicted %d rows with model %s", count, classifier.version)
    return 0
