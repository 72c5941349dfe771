"""The model registry: one folder per bundle version and a ``CURRENT`` pointer switched atomically."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from service.errors import ModelLoadError

logger = logging.getLogger(__name__)

CURRENT = "CURRENT"
HISTORY = "HISTORY"
MANIFEST = "manifest.json"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class ModelRegistry:
    """Versions live in ``root/<version>/``; ``root/CURRENT`` names the one in service; ``HISTORY`` the past ones."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def versions(self) -> list[str]:
        """Every bundle version in the registry, oldest first (names sort by creation time)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / MANIFEST).is_file())

    def path(self, version: str) -> Path:
        """The folder of ``version``; a clear error when there is no such bundle."""
        path = self.root / version
        if not (path / MANIFEST).is_file():
            raise ModelLoadError(f"no model version {version!r} in {self.root}")
        return path

    def current_version(self) -> str:
        """The version named by ``CURRENT``."""
        pointer = self.root / CURRENT
        try:
            version = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise ModelLoadError(f"the registry {self.root} has no {CURRENT} version (train one first)") from None
        if not version:
            raise ModelLoadError(f"{pointer} is empty")
        return version

    def current_path(self) -> Path:
        """The folder of the version in service."""
        return self.path(self.current_version())

    def history(self) -> list[str]:
        """Versions that were made current, oldest first (the last one is current)."""
        path = self.root / HISTORY
        return path.read_text(encoding="utf-8").split() if path.is_file() else []

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
        earlier = [v for v in history if v != current and (self.root / v / MANIFEST).is_file()]
        if not earlier:
            raise ModelLoadError(f"no earlier version to roll back to in {self.root}")
        previous = earlier[-1]
        _write_atomically(self.root / HISTORY, "\n".join([*earlier]) + "\n")
        _write_atomically(self.root / CURRENT, previous + "\n")
        logger.info("registry %s: rolled back from %s to %s", self.root, current, previous)
        return previous

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` versions, never the current one; returns what was deleted."""
        if keep < 1:
            raise ValueError("keep at least one version")
        current = self.current_version() if (self.root / CURRENT).is_file() else None
        versions = self.versions()
        doomed = [v for v in versions[: max(0, len(versions) - keep)] if v != current]
        for version in doomed:
            shutil.rmtree(self.root / version)
        if doomed:
            remaining = [v for v in self.history() if v not in doomed]
            _write_atomically(self.root / HISTORY, "\n".join(remaining) + ("\n" if remaining else ""))
            logger.info("registry %s: pruned %s", self.root, doomed)
        return doomed
