"""deploy/seed_registry.py copies shipped model bundles into the registry volume without overwriting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path("deploy/seed_registry.py")


def make_bundle(root: Path, version: str, content: str = "weights") -> None:
    bundle = root / "classifier" / version
    bundle.mkdir(parents=True)
    (bundle / "model.keras").write_text(content)
    (bundle / "manifest.json").write_text(f'{{"version": "{version}"}}')


def seed(repo: Path, source: Path, dest: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(repo / SCRIPT), str(source), str(dest)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_first_start_gets_the_shipped_registry(repo: Path, tmp_path: Path) -> None:
    shipped, volume = tmp_path / "image-models", tmp_path / "volume"
    make_bundle(shipped, "v1")
    (shipped / "classifier" / "CURRENT").write_text("v1\n")
    result = seed(repo, shipped, volume)
    assert result.returncode == 0, result.stderr
    assert (volume / "classifier" / "CURRENT").read_text() == "v1\n"
    assert (volume / "classifier" / "v1" / "model.keras").read_text() == "weights"
    assert not [p for p in (volume / "classifier").iterdir() if p.name.startswith(".seed-")]


def test_a_promoted_model_survives_and_new_shipped_versions_are_added(repo: Path, tmp_path: Path) -> None:
    shipped, volume = tmp_path / "image-models", tmp_path / "volume"
    make_bundle(shipped, "v1")
    (shipped / "classifier" / "CURRENT").write_text("v1\n")
    assert seed(repo, shipped, volume).returncode == 0
    # The trainer promotes v2; a newer image ships v3 and a changed v1.
    make_bundle(volume, "v2", "trained")
    (volume / "classifier" / "CURRENT").write_text("v2\n")
    make_bundle(shipped, "v3")
    (shipped / "classifier" / "v1" / "model.keras").write_text("changed")
    (shipped / "classifier" / "v1" / "extra.txt").write_text("new file")
    assert seed(repo, shipped, volume).returncode == 0
    registry = volume / "classifier"
    assert (registry / "CURRENT").read_text() == "v2\n"
    assert sorted(p.name for p in registry.iterdir() if p.is_dir()) == ["v1", "v2", "v3"]
    assert (registry / "v1" / "model.keras").read_text() == "weights", "an existing bundle is never touched"
    assert not (registry / "v1" / "extra.txt").exists()
    assert (registry / "v2" / "model.keras").read_text() == "trained"


def test_missing_source_and_bad_usage_fail(repo: Path, tmp_path: Path) -> None:
    assert seed(repo, tmp_path / "nothing", tmp_path / "volume").returncode == 1
    usage = subprocess.run([sys.executable, str(repo / SCRIPT)], capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "usage" in usage.stderr
