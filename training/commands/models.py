"""``ticket-trainer models list|rollback|prune``: inspect and operate the classifier registry."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from classifier.registry import ModelRegistry
from core.cli import Subparsers, positive_int


def register(subparsers: Subparsers) -> None:
    """Add the ``models`` subcommand with its three actions."""
    parser = subparsers.add_parser(
        "models",
        help="list the classifier registry, roll CURRENT back, prune old bundles",
        description="Operate the classifier model registry that the router hot-reloads from.",
    )
    parser.add_argument(
        "--registry", type=Path, default=None, help="registry folder (default: $TICKET_TRAINER_REGISTRY or models/)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="versions with their scores and promotion decisions; * marks current")
    listing.add_argument("--json", action="store_true", help="print the full description as JSON")
    actions.add_parser("rollback", help="point CURRENT back at the previously current version")
    prune = actions.add_parser("prune", help="delete all but the newest bundles (never the current one)")
    prune.add_argument(
        "--keep", type=positive_int, default=None, help="bundles to keep (default: $TICKET_TRAINER_KEEP_BUNDLES)"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from training.commands.serve import load_settings

    settings = load_settings(argparse.Namespace())
    registry = ModelRegistry(args.registry or settings.registry)
    if args.action == "list":
        return _list(registry, args.json)
    if args.action == "rollback":
        before = registry.current_version()
        after = registry.rollback()
        _say(f"current version: {after} (was {before})")
        return 0
    deleted = registry.prune(args.keep if args.keep is not None else settings.keep_bundles)
    _say(f"deleted {len(deleted)} bundle(s): {', '.join(deleted) if deleted else '-'}")
    return 0


def _list(registry: ModelRegistry, as_json: bool) -> int:
    description = registry.describe()
    if as_json:
        _say(json.dumps(description, indent=2))
        return 0
    _say(f"registry {description['registry']}  current: {description['current'] or '-'}")
    for entry in description["versions"]:
        _say(_line(entry, "*" if entry.get("current") else " "))
    for entry in description["rejected"]:
        _say(_line(entry, "x"))
    for problem in description["problems"]:
        _say(f"! {problem}")
    return 0


def _line(entry: dict[str, Any], mark: str) -> str:
    metrics = entry.get("validation_metrics") or {}
    promotion = entry.get("promotion") or {}
    scores = promotion.get("challenger_scores") or {}
    parts = [f"{mark} {entry['version']:<24}"]
    if "error" in entry:
        parts.append(entry["error"])
    for name in ("accuracy", "macro_f1"):
        if name in metrics:
            parts.append(f"{name} {metrics[name]:.4f}")
    if "macro_f1" in scores:
        parts.append(f"refresh: routed macro-F1 {scores['macro_f1']:.4f}")
    if promotion:
        parts.append(("promoted: " if promotion.get("promoted") else "rejected: ") + str(promotion.get("reason", "")))
    return "  ".join(parts)


def _say(text: str) -> None:
    print(text, file=sys.stdout)  # noqa: T201 - a command's output
