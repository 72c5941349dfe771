"""``ticket-router predict``: offline batch routing of a CSV or JSONL file to JSON lines, in input order."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

from classifier.prediction import MAX_ALTERNATIVES
from core.cli import Subparsers, bounded_int, unit_interval

logger = logging.getLogger(__name__)

# Options that override one router setting each (the same policy as ``ticket-router serve``).
POLICY_OPTIONS: dict[str, tuple[str, Callable[[str], object], str]] = {
    "--target-precision": ("target_precision", float, "auto-routed precision to reach, 0.80-0.99 (default: 0.95)"),
    "--target-precision-by-department": ("target_precision_by_department", str, "e.g. collections=0.98,cards=0.9"),
    "--threshold": (
        "triage_threshold",
        unit_interval,
        "one global confidence threshold in [0, 1] instead of the targets",
    ),
    "--priority-file": ("priority_file", Path, "CSV label,priority (default: the shipped list of urgent labels)"),
    "--explain": ("explain", str, "rows with explanation terms: triage (default), all or off"),
}


def register(subparsers: Subparsers) -> None:
    """Add the ``predict`` subcommand."""
    parser = subparsers.add_parser(
        "predict",
        help="route the texts of a CSV or JSONL file offline and write one JSON line per row",
        description="Classify every row of --input in batches and write, in input order, one JSON object per row: "
        "row (0-based), id (with --id-column), department (after the precision-target policy, as the router "
        "decides), label, confidence (calibrated), reason, priority, explanation and alternatives. The policy's "
        "settings are the router's (TICKET_ROUTER_TARGET_PRECISION, ..._BY_DEPARTMENT, ..._TRIAGE_THRESHOLD, "
        "..._PRIORITY_FILE, ..._EXPLAIN); the options below override them.",
    )
    parser.add_argument("--model", type=Path, help="bundle folder (default: the registry's current version)")
    parser.add_argument("--registry", type=Path, default=None, help="registry folder (default: models/classifier)")
    parser.add_argument("--input", type=Path, required=True, help="a .csv or .jsonl file")
    parser.add_argument("--text-column", default="text", help="column (CSV) or field (JSONL) with the text")
    parser.add_argument("--id-column", help="column or field copied to each output line as id")
    parser.add_argument("--output", type=Path, help="output .jsonl file (default: standard output)")
    parser.add_argument("--kind", choices=("complaint", "social"), default="complaint",
                        help="the rows are complaint narratives or short social/chat messages (their precision "
                        "curves differ; default: complaint)")  # fmt: skip
    for option, (dest, kind, text) in POLICY_OPTIONS.items():
        parser.add_argument(option, dest=dest, type=kind, default=None, help=text)
    parser.add_argument(
        "--top-k",
        type=bounded_int(1, MAX_ALTERNATIVES),
        default=3,
        help=f"alternatives per line, 1 to {MAX_ALTERNATIVES} (default: 3)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from classifier.bundle import load_bundle
    from classifier.registry import ModelRegistry
    from core.paths import default_classifier_registry
    from core.textfiles import atomic_output
    from service.batch_predict import predict_file, read_rows
    from service.commands.serve import settings_with
    from service.decisions import rules_from_settings
    from service.priority import load_priorities

    settings = settings_with({dest: getattr(args, dest) for dest, _, _ in POLICY_OPTIONS.values()})
    rules = rules_from_settings(settings, load_priorities(settings.priority_file))
    rows = read_rows(args.input, args.text_column, args.id_column)  # a bad file fails before the model loads
    with atomic_output(args.output) as out:
        path = args.model or ModelRegistry(args.registry or default_classifier_registry()).current_path()
        classifier = load_bundle(path)
        count = predict_file(classifier, rows, out, rules, args.top_k, args.kind)
    logger.info("predicted %d rows with model %s", count, classifier.version)
    return 0
