"""The model registry: a folder per bundle version, a ``CURRENT`` pointer switched atomically, rejected challengers."""

from __future__ import annotations

import logging
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from classifier.prediction import Classifier
from core.errors import ModelLoadError
from schemas.manifest import ModelManifest

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
HISTORY = "HISTORY"
MANIFEST = "manifest.json"
"""The file every bundle folder holds: a folder of the registry is a version when it has one."""
REJECTED = "rejected"
"""Challengers that lost are kept here for inspection, outside the versions the router can serve."""
STAGING = ".staging"
"""Bundles being trained; moved into place with one rename when finished."""
VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A version is one folder name of the registry: no path separators, no ``..``, nothing hidden."""


def check_version_name(name: str, source: str = "version") -> str:
    """``name`` when it can only name a folder directly inside a registry; :class:`ModelLoadError` otherwise."""
    if not VERSION_NAME.fullmatch(name):
        raise ModelLoadError(
            f"{source} {name[:80]!r} is not a version name (letters, digits, '.', '_', '-'; no path); refusing it"
        )
    return name


def _read_names(path: Path) -> list[str]:
    """The whitespace-separated names in a registry pointer file; :class:`ModelLoadError` if it is unreadable."""
    try:
        return path.read_bytes().decode("utf-8").split()
    except UnicodeDecodeError:
        raise ModelLoadError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc.strerror or exc}") from None


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class ModelRegistry:
    """Versions live in ``root/<version>/``; ``root/CURRENT`` names the one in service; ``HISTORY`` the past ones.

    The router only reads (:meth:`current_path`); the trainer also writes: new versions, ``CURRENT``, rollback,
    pruning, and its staging and rejected folders.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rejected_root = root / REJECTED
        self.staging_root = root / STAGING

    def versions(self) -> list[str]:
        """Every bundle version in the registry, oldest first (names sort by creation time)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if VERSION_NAME.fullmatch(p.name) and self._holds(p.name))

    def _holds(self, version: str) -> bool:
        """Whether ``version`` is a bundle folder that resolves inside the registry (a symlink may not lead out)."""
        path = self.root / version
        return (path / MANIFEST).is_file() and path.resolve().is_relative_to(self.root.resolve())

    def path(self, version: str) -> Path:
        """The folder of ``version``; a clear error when there is no such bundle inside the registry."""
        check_version_name(version)
        if not self._holds(version):
            raise ModelLoadError(f"no model version {version!r} in {self.root}")
        return self.root / version

    def current_version(self) -> str:
        """The version named by ``CURRENT`` (checked to be a plain version name, never a path)."""
        pointer = self.root / CURRENT
        if not pointer.exists():
            raise ModelLoadError(f"the registry {self.root} has no {CURRENT} version (train one first)")
        names = _read_names(pointer)
        if len(names) != 1:
            raise ModelLoadError(f"{pointer} must name one version, it holds {len(names)} names")
        return check_version_name(names[0], f"{pointer} names")

    def current_path(self) -> Path:
        """The folder of the version in service."""
        return self.path(self.current_version())

    def current_or_none(self) -> str | None:
        """The current version, or None when the registry has none yet (or a ``CURRENT`` it refuses)."""
        try:
            return self.current_version()
        except ModelLoadError:
            return None

    def history(self) -> list[str]:
        """Versions that were made current, oldest first (the last one is current); every entry is checked."""
        path = self.root / HISTORY
        if not path.exists():
            return []
        return [check_version_name(name, f"{path} entry") for name in _read_names(path)]

    def new_version(self, now: datetime | None = None) -> str:
        """A fresh, sortable version name: the UTC time, with a suffix if that name is taken."""
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        name, n = stamp, 1
        while (self.root / name).exists():
            n += 1
            name = f"{stamp}-{n}"
        return name

    def set_current(self, version: str) -> None:
        """Point ``CURRENT`` at ``version`` atomically (readers see the old or the new name, never half)."""
        self.path(version)
        history = [v for v in self.history() if v != version] + [version]
        _write_atomically(self.root / HISTORY, "\n".join(history) + "\n")
        _write_atomically(self.root / CURRENT, version + "\n")
        logger.info("registry %s: current version is now %s", self.root, version)

    def rollback(self) -> str:
        """Make the previously current version current again; returns it."""
        history = self.history()
        current = self.current_version()
        earlier = [v for v in history if v != current and self._holds(v)]
        if not earlier:
            raise ModelLoadError(f"no earlier version to roll back to in {self.root}")
        previous = earlier[-1]
        _write_atomically(self.root / HISTORY, "\n".join([*earlier]) + "\n")
        _write_atomically(self.root / CURRENT, previous + "\n")
        logger.info("registry %s: rolled back from %s to %s", self.root, current, previous)
        return previous

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` versions, never the current one; returns what was deleted.

        Symlinks are never followed: a version folder that is a symlink is removed as a link, its target kept.
        """
        if keep < 1:
            raise ValueError("keep at least one version")
        current = self.current_version() if (self.root / CURRENT).exists() else None
        versions = self.versions()
        doomed = [v for v in versions[: max(0, len(versions) - keep)] if v != current]
        for version in doomed:
            remove_tree(self.root / version)
        if doomed:
            remaining = [v for v in self.history() if v not in doomed]
            _write_atomically(self.root / HISTORY, "\n".join(remaining) + ("\n" if remaining else ""))
            logger.info("registry %s: pruned %s", self.root, doomed)
        return doomed

    def rejected_versions(self) -> list[str]:
        """Rejected challengers, oldest first."""
        if not self.rejected_root.is_dir():
            return []
        return sorted(p.name for p in self.rejected_root.iterdir() if (p / MANIFEST).is_file())

    def prune_rejected(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` rejected challengers; returns what was deleted."""
        rejected = self.rejected_versions()
        doomed = rejected[: max(0, len(rejected) - keep)]
        for version in doomed:
            remove_tree(self.rejected_root / version)
        if doomed:
            logger.info("registry %s: pruned rejected challengers %s", self.root, doomed)
        return doomed

    def describe(self) -> dict[str, Any]:
        """Every version with its scores, the current one, the history of current versions and rejected challengers.

        A ``CURRENT`` or ``HISTORY`` that is refused (junk, a path instead of a version) is described, not raised:
        ``problems`` says why.
        """
        problems: list[str] = []
        current = None
        if (self.root / CURRENT).exists():
            try:
                current = self.current_version()
            except ModelLoadError as exc:
                problems.append(str(exc))
        try:
            history = self.history()
        except ModelLoadError as exc:
            history, problems = [], [*problems, str(exc)]
        versions = []
        for version in self.versions():
            entry = describe_bundle(self.root / version)
            entry["current"] = version == current
            versions.append(entry)
        return {
            "registry": str(self.root),
            "current": current,
            "history": history,
            "versions": versions,
            "rejected": [describe_bundle(self.rejected_root / v) for v in self.rejected_versions()],
            "problems": problems,
        }


def write_manifest(folder: Path, manifest: ModelManifest) -> None:
    """Write the manifest of the bundle folder ``folder`` atomically (readers see the old file or the new one)."""
    _write_atomically(folder / MANIFEST, manifest.model_dump_json(indent=2) + "\n")


def load_classifier(path: Path) -> Classifier:
    """The bundle folder ``path``, read and verified by :func:`classifier.bundle.load_bundle` (TensorFlow and the
    text cleaning are imported on the first load, not when a command starts)."""
    from classifier.bundle import load_bundle

    return load_bundle(path)


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


def remove_tree(path: Path) -> None:
    """Delete a folder without following symlinks (a symlink is unlinked, never its target's content)."""
    try:
        if path.is_symlink():
            path.unlink()
        else:
            shutil.rmtree(path)
    except OSError as exc:
        raise ModelLoadError(f"cannot delete {path}: {exc.strerror or exc}") from None
