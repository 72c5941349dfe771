"""``ticket-trainer train-classifier``: train the Bi-LSTM on the shared data or any labelled CSV into a bundle."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli import Subparsers, bounded_float, bounded_int, positive_int
from core.paths import PROJECT_ROOT, default_classifier_registry, default_data_dir

if TYPE_CHECKING:  # imported when used: --help stays free of TensorFlow and the data code
    from classifier.registry import ModelRegistry
    from training.classifier.data import LabelledTexts
    from training.classifier.model import ModelConfig

logger = logging.getLogger(__name__)

SHARE = bounded_float(0, 1, open_low=True, open_high=True)
RATE = bounded_float(0, 1, open_high=True)


def register(subparsers: Subparsers) -> None:
    """Add the ``train-classifier`` subcommand."""
    parser = subparsers.add_parser(
        "train-classifier",
        help="train the department classifier and write a model bundle",
        description="Without --train: the production model from the shared data (CFPB, Banking77, CLINC150 mapped "
        "by taxonomy.csv), written into the registry as a new version that becomes current. With --train: any "
        "labelled CSV. A stratified validation split is held out for early stopping, the triage threshold and the "
        "bundle's metrics.",
        epilog="departments of a --train CSV's labels come from --routing (columns label,department), else the "
        "CSV's own --department-column when present, else labels that are department names; any other label is "
        "an error.",
    )
    data = add_data_arguments(parser)
    data.add_argument("--validation-fraction", type=SHARE, default=0.15, help="held-out share (default: 0.15)")
    out = add_output_arguments(parser)
    out.add_argument("--work-dir", type=Path, help="checkpoints folder (default: runs/classifier/<version>)")
    model = parser.add_argument_group("model (defaults: the production recipe)")
    model.add_argument("--tiny", action="store_true", help="a tiny model that trains in seconds (tests, smoke runs)")
    model.add_argument("--epochs", type=positive_int, help="most epochs (early stopping on validation loss)")
    model.add_argument("--patience", type=bounded_int(0), help="epochs without improvement before stopping")
    model.add_argument("--batch-size", type=positive_int, help="training batch size")
    model.add_argument("--lstm-units", type=positive_int, help="LSTM units per direction")
    model.add_argument("--embedding-dim", type=positive_int, help="embedding size (GloVe needs 50)")
    model.add_argument("--vocab-size", type=bounded_int(3), help="largest vocabulary")
    model.add_argument("--learning-rate", type=bounded_float(0, 1, open_low=True), help="AdamW learning rate")
    model.add_argument("--dropout", type=RATE, help="dropout before the softmax")
    model.add_argument("--label-smoothing", type=RATE, help="label smoothing of the cross-entropy (0 for none)")
    model.add_argument(
        "--source-weight-power",
        type=bounded_float(0, 1),
        help="per-source balancing of the Bi-LSTM's loss: 1 weighs each source alike in total, 0 (default) each row",
    )
    model.add_argument("--no-glove", action="store_true", help="random embedding initialisation instead of GloVe")
    model.add_argument(
        "--no-linear-branch",
        action="store_true",
        help="the Bi-LSTM alone, without the TF-IDF logistic-regression branch averaged into its output",
    )
    model.add_argument("--seed", type=int, help="random seed of the split, initialisation and shuffling")
    parser.set_defaults(handler=_run)


def add_output_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The options that say where a new bundle goes and whether it becomes current; returns their group."""
    out = parser.add_argument_group("output")
    out.add_argument("--out", type=Path, help="bundle folder to create (default: <registry>/<new version>)")
    out.add_argument("--version", help="bundle version (default: --out's name, else the UTC time)")
    out.add_argument("--registry", type=Path, default=None, help="registry folder (default: models/classifier)")
    out.add_argument("--no-set-current", action="store_true", help="do not make the new registry version current")
    return out


def bundle_location(args: argparse.Namespace) -> tuple[ModelRegistry, Path, str]:
    """``(registry, bundle folder, version)`` the output options name."""
    from classifier.registry import ModelRegistry, check_version_name

    registry = ModelRegistry(args.registry or default_classifier_registry())
    if args.out is not None:
        return registry, args.out, args.version or args.out.name
    version = check_version_name(args.version, "--version") if args.version else registry.new_version()
    return registry, registry.root / version, version


def add_data_arguments(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The options that choose the training data: the shared data, or a labelled CSV; returns their group."""
    data = parser.add_argument_group("data")
    data.add_argument("--data-dir", type=Path, default=None, help="shared data folder (default: ../shared/data)")
    data.add_argument("--train", type=Path, help="a labelled CSV to train on instead of the shared data")
    data.add_argument("--text-column", default="text", help="text column of --train (default: text)")
    data.add_argument("--label-column", default="label", help="label column of --train (default: label)")
    data.add_argument("--routing", type=Path, help="CSV with columns label,department mapping labels of --train")
    data.add_argument("--department-column", default="department", help="department column of --train, if any")
    return data


def load_data(args: argparse.Namespace) -> LabelledTexts:
    """The labelled texts the data options name."""
    from training.classifier.data import load_labelled_csv, load_production

    if args.train is not None:
        return load_labelled_csv(args.train, args.text_column, args.label_column, args.routing, args.department_column)
    return load_production(args.data_dir or default_data_dir())


def _config(args: argparse.Namespace) -> ModelConfig:
    from training.classifier.model import TINY, ModelConfig

    base = TINY if args.tiny else ModelConfig()
    return base.with_overrides(
        epochs=args.epochs,
        patience=args.patience,
        batch_size=args.batch_size,
        lstm_units=args.lstm_units,
        embedding_dim=args.embedding_dim,
        vocab_size=args.vocab_size,
        learning_rate=args.learning_rate,
        dropout=args.dropout,
        label_smoothing=args.label_smoothing,
        source_weight_power=args.source_weight_power,
        seed=args.seed,
        glove=False if args.no_glove else None,
        linear_branch=False if args.no_linear_branch else None,
    )


def _run(args: argparse.Namespace) -> int:
    from training.classifier.data import stratified_split
    from training.classifier.export import write_bundle
    from training.classifier.train import train_model

    config = _config(args)
    data = load_data(args)
    train, val = stratified_split(data, args.validation_fraction, config.seed)
    registry, out_dir, version = bundle_location(args)
    work_dir = args.work_dir or PROJECT_ROOT / "runs" / "classifier" / version
    trained = train_model(train, val, config, work_dir / "checkpoints")
    manifest = write_bundle(out_dir, version, trained, config, train, val, data.files, args.validation_fraction)
    if args.out is None and not args.no_set_current:
        registry.set_current(version)
    summary = {"bundle": str(out_dir), "version": version, "triage_threshold": manifest.triage_threshold}
    summary["validation"] = manifest.validation_metrics
    summary["train_seconds"] = manifest.training["train_seconds"]
    print(json.dumps(summary, indent=2), file=sys.stdout)  # noqa: T201 - the command's result
    return 0
