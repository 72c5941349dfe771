"""``ticket-trainer refresh``: run one champion/challenger refresh now, from the stored corrections."""

from __future__ import annotations

import argparse
import json
import sys

from prometheus_client import CollectorRegistry

from core.cli import Subparsers


def register(subparsers: Subparsers) -> None:
    """Add the ``refresh`` subcommand."""
    parser = subparsers.add_parser(
        "refresh",
        help="train a challenger on base data + stored corrections now; promote it only if it wins",
        description="Run one refresh outside the service (settings from TICKET_TRAINER_*): train a challenger on the "
        "base data plus the corrections in the feedback store, score it and the champion on the fixed validation set "
        "and the held-back corrections, and make it current only if it wins. Prints the decision as JSON; exits 0 "
        "when promoted, 3 when rejected.",
    )
    parser.add_argument("--registry", default=None, help="classifier registry folder")
    parser.add_argument("--feedback-store", default=None, help="SQLite file of the corrections")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from training.assembly import default_refresher
    from training.commands.serve import load_settings
    from training.feedback.store import FeedbackStore
    from training.metrics import TrainerMetrics

    settings = load_settings(args)
    with FeedbackStore(settings.feedback_store) as store:
        refresher = default_refresher(settings, store, TrainerMetrics(CollectorRegistry()))
        result = refresher.run("cli")
    print(json.dumps(result, indent=2))  # noqa: T201 - the command's output
    sys.stdout.flush()
    return 0 if result["promoted"] else 3
