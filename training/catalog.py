"""What is in the classifier registry: versions, their scores and promotion decisions, which one is current."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from classifier.registry import CURRENT, MANIFEST, ModelRegistry, remove_tree
from core.errors import ModelLoadError
from schemas.manifest import ModelManifest

logger = logging.getLogger(__name__)

REJECTED = "rejected"
"""Challengers that lost are kept here for inspection, outside the versions the router can serve."""
STAGING = ".staging"
"""Bundles being trained; moved into place with one rename when finished."""


def rejected_root(registry: ModelRegistry) -> Path:
    """The folder of rejected challengers."""
    return registry.root / REJECTED


def staging_root(registry: ModelRegistry) -> Path:
    """The folder where challengers are trained."""
    return registry.root / STAGING


def current_or_none(registry: ModelRegistry) -> str | None:
    """The current version, or None when the registry has none yet."""
    try:
        return registry.current_version()
    except ModelLoadError:
        return None


def describe_bundle(path: Path) -> dict[str, Any]:
    """A bundle's manifest summary (or the reason it cannot be read)."""
    try:
        manifest = ModelManifest.model_validate_json((path / MANIFEST).read_bytes())
    except (OSError, ValidationError) as exc:
        return {"version": path.name, "error": f"unreadable manifest: {type(exc).__name__}"}
    return {
        "version": manifest.version,
        "created_at": manifest.created_at.isoformat(),
        "labels": len(manifest.labels),
        "triage_threshold": manifest.triage_threshold,
        "validation_metrics": manifest.validation_metrics,
        "promotion": manifest.promotion.model_dump(mode="json") if manifest.promotion else None,
    }


def rejected_versions(registry: ModelRegistry) -> list[str]:
    """Rejected challengers, oldest first."""
    root = rejected_root(registry)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())


def describe_registry(registry: ModelRegistry) -> dict[str, Any]:
    """Every version with its scores, the current one, the history of current versions and rejected challengers.

    A ``CURRENT`` or ``HISTORY`` that is refused (junk, a path instead of a version) is described, not raised:
    ``problems`` says why.
    """
    problems: list[str] = []
    current = None
    if (registry.root / CURRENT).exists():
        try:
            current = registry.current_version()
        except ModelLoadError as exc:
            problems.append(str(exc))
    try:
        history = registry.history()
    except ModelLoadError as exc:
        history, problems = [], [*problems, str(exc)]
    versions = []
    for version in registry.versions():
        entry = describe_bundle(registry.root / version)
        entry["current"] = version == current
        versions.append(entry)
    return {
        "registry": str(registry.root),
        "current": current,
        "history": history,
        "versions": versions,
        "rejected": [describe_bundle(rejected_root(registry) / v) for v in rejected_versions(registry)],
        "problems": problems,
    }


def prune_rejected(registry: ModelRegistry, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` rejected challengers; returns what was deleted."""
    doomed = rejected_versions(registry)[: max(0, len(rejected_versions(registry)) - keep)]
    for version in doomed:
        remove_tree(rejected_root(registry) / version)
    if doomed:
        logger.info("registry %s: pruned rejected challengers %s", registry.root, doomed)
    return doomed
