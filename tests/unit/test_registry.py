"""The registry switches versions atomically, rolls back, and prunes without touching the current one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.errors import ModelLoadError
from service.registry import ModelRegistry


def _add(registry: ModelRegistry, version: str) -> None:
    (registry.root / version).mkdir(parents=True)
    (registry.root / version / "manifest.json").write_text("{}")


def test_empty_registry_explains_itself(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    assert registry.versions() == []
    with pytest.raises(ModelLoadError, match="no CURRENT version"):
        registry.current_path()
    with pytest.raises(ModelLoadError, match="no model version 'v9'"):
        registry.set_current("v9")


def test_set_current_rollback_and_prune(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    for v in ("v1", "v2", "v3"):
        _add(registry, v)
        registry.set_current(v)
    assert registry.current_path() == tmp_path / "v3"
    assert registry.history() == ["v1", "v2", "v3"]
    assert not list(tmp_path.glob(".*tmp")), "no temporary files left behind"

    assert registry.rollback() == "v2" and registry.current_version() == "v2"
    assert registry.rollback() == "v1"
    with pytest.raises(ModelLoadError, match="no earlier version"):
        registry.rollback()

    assert registry.prune(keep=1) == ["v2"], "the newest is kept and so is the current one"
    assert registry.versions() == ["v1", "v3"] and registry.current_version() == "v1"


def test_new_version_names_sort_and_never_collide(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    now = datetime(2026, 11, 24, 18, 30, tzinfo=UTC)
    first = registry.new_version(now)
    _add(registry, first)
    second = registry.new_version(now)
    assert first == "20261124T183000Z" and second == "20261124T183000Z-2"
