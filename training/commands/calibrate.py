"""``ticket-trainer calibrate``: calibration and precision curves for an existing bundle, as a new version."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli import Subparsers
from training.commands.train_classifier import add_data_arguments, add_output_arguments, bundle_location, load_data


def register(subparsers: Subparsers) -> None:
    """Add the ``calibrate`` subcommand."""
    parser = subparsers.add_parser(
        "calibrate",
        help="fit confidence calibration and precision-target curves for an existing bundle (a new version)",
        description="Reproduce the bundle's validation split from the data it was trained on (file hashes, seed and "
        "share recorded in its manifest), fit temperature scaling and the per-department precision curves there, "
        "re-choose the triage threshold on the calibrated confidences and write the result as a new bundle with the "
        "same model file. Give the same data options as the training run (default: the shared data).",
    )
    parser.add_argument("--model", type=Path, required=True, help="the bundle folder to calibrate")
    add_data_arguments(parser)
    add_output_arguments(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from training.classifier.recalibrate import recalibrate

    registry, out_dir, version = bundle_location(args)
    manifest = recalibrate(args.model, out_dir, version, load_data(args))
    if args.out is None and not args.no_set_current:
        registry.set_current(version)
    summary: dict[str, object] = {"bundle": str(out_dir), "version": version, "from": args.model.name}
    summary["calibration"] = manifest.calibration.model_dump() if manifest.calibration else None
    summary["triage_threshold"] = manifest.triage_threshold
    print(json.dumps(summary, indent=2), file=sys.stdout)  # noqa: T201 - the command's result
    return 0
