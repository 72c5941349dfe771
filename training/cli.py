"""``ticket-trainer``: the training side's console script (classifier, forecaster, trainer service)."""

from __future__ import annotations

from collections.abc import Sequence

from core.cli import build_parser, run

COMMAND_MODULES: tuple[str, ...] = (
    "training.commands.calibrate",
    "training.commands.evaluate",
    "training.commands.forecast",
    "training.commands.models",
    "training.commands.refresh",
    "training.commands.serve",
    "training.commands.train_classifier",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ticket-trainer``."""
    parser = build_parser(
        "ticket-trainer",
        "Train, evaluate and refresh the department classifier; train and serve the loan forecaster.",
        COMMAND_MODULES,
    )
    return run(parser, argv)
