"""``ticket-trainer calibrate``: calibration and precision curves for an existing bundle, as a new version."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from training.commands.train_classifier import add_data_arguments, load_data


def register(subparsers: Any) -> None:
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
    out = parser.add_argument_group("output")
    out.add_argument("--out", type=Path, help="bundle folder to create (default: <registry>/<new version>)")
    out.add_argument("--version", help="bundle version (default: --out's name, else the UTC time)")
    out.add_argument("--registry", type=Path, default=None, help="registry folder (default: models/classifier)")
    out.add_argument("--no-set-current", action="store_true", help="do not make the new registry version current")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from service.paths import default_classifier_registry
    from service.registry import ModelRegistry
    from training.recalibrate import recalibrate

    registry = ModelRegistry(args.registry or default_classifier_registry())
    if args.out is not None:
        out_dir: Path = args.out
        version = args.version or out_dir.name
    else:
        version = args.version or registry.new_version()
        out_dir = registry.root / version
    manifest = recalibrate(args.model, out_dir, version, load_data(args))
    if args.out is None and not args.no_set_current:
        registry.set_current(version)
    summary: dict[str, Any] = {"bundle": str(out_dir), "version": version, "from": args.model.name}
    summary["calibration"] = manifest.calibration.model_dump() if manifest.calibration else None
    summary["triage_threshold"] = manifest.triage_threshold
    print(json.dumps(summary, indent=2), file=sys.stdout)  # noqa: T201 - the command's result
    return 0
