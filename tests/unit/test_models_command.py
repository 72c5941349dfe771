"""``ticket-trainer models list|rollback|prune`` on a registry of fake bundles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.registry import ModelRegistry
from tests.unit.trainer_fakes import BASE_RULES, write_bundle
from training.cli import main


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    reg = ModelRegistry(tmp_path / "reg")
    for v in ("v1", "v2", "v3"):
        write_bundle(reg.root / v, v, BASE_RULES)
        reg.set_current(v)
    return reg


def test_list_rollback_prune(registry: ModelRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(registry.root)
    assert main(["models", "--registry", root, "list"]) == 0
    out = capsys.readouterr().out
    assert "current: v3" in out and "* v3" in out and "  v1" in out

    assert main(["models", "--registry", root, "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["current"] == "v3" and [v["version"] for v in listing["versions"]] == ["v1", "v2", "v3"]

    assert main(["models", "--registry", root, "rollback"]) == 0
    assert "current version: v2 (was v3)" in capsys.readouterr().out
    assert registry.current_version() == "v2"

    assert main(["models", "--registry", root, "prune", "--keep", "1"]) == 0
    assert "deleted 1 bundle(s): v1" in capsys.readouterr().out
    assert registry.versions() == ["v2", "v3"], "the current version is never pruned"


def test_rollback_without_history_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = ModelRegistry(tmp_path / "reg")
    write_bundle(reg.root / "v1", "v1", BASE_RULES)
    reg.set_current("v1")
    assert main(["models", "--registry", str(reg.root), "rollback"]) == 2
    assert "no earlier version" in capsys.readouterr().err


def test_prune_keep_must_be_positive(registry: ModelRegistry, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["models", "--registry", str(registry.root), "prune", "--keep", "0"])
    assert exit_info.value.code == 2 and "--keep: must be at least 1, got 0" in capsys.readouterr().err


def test_list_describes_refused_pointers_instead_of_failing(
    registry: ModelRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    (registry.root / "CURRENT").write_text("../elsewhere\n")
    (registry.root / "HISTORY").write_bytes(b"v1\n\xff\xfe\n")
    assert main(["models", "--registry", str(registry.root), "list"]) == 0
    out = capsys.readouterr().out
    assert "current: -" in out and "'../elsewhere' is not a version name" in out and "HISTORY is not UTF-8" in out
    assert main(["models", "--registry", str(registry.root), "rollback"]) == 2
    assert "is not a version name" in capsys.readouterr().err
