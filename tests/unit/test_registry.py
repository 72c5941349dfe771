"""The registry switches versions atomically, rolls back, and prunes without touching the current one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from classifier.registry import ModelRegistry
from core.errors import ModelLoadError
from tests.unit.isolation import imports


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


@pytest.mark.parametrize("pointer", ["../elsewhere", "/tmp/elsewhere", "v1/../../elsewhere", ".", "a b", "\x00"])
def test_current_naming_a_path_is_refused(tmp_path: Path, pointer: str) -> None:
    registry = ModelRegistry(tmp_path / "models")
    _add(registry, "v1")
    _add(ModelRegistry(tmp_path), "elsewhere")
    (registry.root / "CURRENT").write_text(pointer + "\n")
    with pytest.raises(ModelLoadError, match="refusing it|must name one version"):
        registry.current_path()


def test_a_history_entry_with_a_path_is_refused_by_rollback(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    _add(ModelRegistry(tmp_path), "elsewhere")
    for v in ("v1", "v2"):
        _add(registry, v)
        registry.set_current(v)
    (registry.root / "HISTORY").write_text("v1\n../elsewhere\nv2\n")
    with pytest.raises(ModelLoadError, match=r"HISTORY entry '../elsewhere' is not a version name"):
        registry.rollback()
    assert registry.current_version() == "v2", "nothing changed"


def test_a_version_folder_symlinked_outside_is_not_a_version(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    _add(registry, "v1")
    _add(ModelRegistry(tmp_path), "outside")
    (registry.root / "v2").symlink_to(tmp_path / "outside")
    (registry.root / "v0").symlink_to(registry.root / "v1")  # a link inside the registry is fine
    assert registry.versions() == ["v0", "v1"]
    with pytest.raises(ModelLoadError, match="no model version 'v2'"):
        registry.set_current("v2")


def test_prune_never_follows_symlinks(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    _add(ModelRegistry(tmp_path), "outside")
    (tmp_path / "outside" / "precious.txt").write_text("keep me")
    _add(registry, "v1")
    (registry.root / "v2").symlink_to(registry.root / "v1")
    (registry.root / "v3").symlink_to(tmp_path / "outside")
    _add(registry, "v4")
    registry.set_current("v4")
    assert registry.prune(keep=1) == ["v1", "v2"]
    assert (tmp_path / "outside" / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in registry.root.iterdir()) == ["CURRENT", "HISTORY", "v3", "v4"]


def test_the_registry_and_both_assemblies_import_no_model_code() -> None:
    # The bundle loader pulls in the text cleaning (NLTK, seconds to import): only loading a model may pay that.
    code = "import classifier.registry, service.assembly, training.assembly, training.refresh"
    assert not imports(code, "classifier.bundle")
    assert not imports(code, "nltk")
