"""``ticket-trainer refresh`` prints the decision and exits 0 when promoted, 3 when rejected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from training import assembly
from training.cli import main


class FakeRefresher:
    def __init__(self, promoted: bool) -> None:
        self.promoted = promoted

    def run(self, refresh_id: str = "") -> dict[str, Any]:
        return {"promoted": self.promoted, "reason": "test", "refresh_id": refresh_id}


@pytest.mark.parametrize(("promoted", "code"), [(True, 0), (False, 3)])
def test_refresh_command(
    promoted: bool, code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def fake(settings: Any, store: Any, metrics: Any) -> FakeRefresher:
        seen["store"] = store.path
        seen["registry"] = settings.registry
        return FakeRefresher(promoted)

    monkeypatch.setattr(assembly, "default_refresher", fake)
    argv = ["refresh", "--registry", str(tmp_path / "reg"), "--feedback-store", str(tmp_path / "fb.sqlite3")]
    assert main(argv) == code
    assert json.loads(capsys.readouterr().out) == {"promoted": promoted, "reason": "test", "refresh_id": "cli"}
    assert seen == {"store": tmp_path / "fb.sqlite3", "registry": tmp_path / "reg"}
