"""Hot reload: new bundles swap in between batches; broken ones are refused once and the old model stays."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from classifier.prediction import Classifier, Prediction
from core.errors import ModelLoadError
from service.metrics import RouterMetrics
from service.model_watch import ModelWatcher
from tests.unit.fakes import KeywordClassifier


class BrokenClassifier(KeywordClassifier):
    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        raise ValueError("tensor shape mismatch")


def _bundle(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir()
    (path / "manifest.json").write_text(name)
    return path


def _loader(path: Path) -> Classifier:
    text = (path / "manifest.json").read_text()
    if text.startswith("corrupt"):
        raise ModelLoadError("sha256 mismatch")
    if text.startswith("broken"):
        return BrokenClassifier(version=text)
    return KeywordClassifier(version=text)


def test_swaps_new_version_and_refuses_broken_ones(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    metrics = RouterMetrics(registry)
    current = {"path": _bundle(tmp_path, "v1")}
    watcher = ModelWatcher(lambda: current["path"], _loader, metrics, interval_s=60)
    assert watcher.load_initial().version == "v1"

    watcher.check_now()
    assert watcher.swap_if_ready() is None, "an unchanged bundle is not reloaded"

    for bad in ("corrupt", "broken"):
        current["path"] = _bundle(tmp_path, bad)
        watcher.check_now()
        watcher.check_now()
        assert watcher.swap_if_ready() is None
        assert watcher.current is not None and watcher.current.version == "v1"
    reloads = registry.get_sample_value("ticket_router_model_reloads_total", {"outcome": "refused"})
    assert reloads == 2, "each bad bundle is tried once"

    current["path"] = _bundle(tmp_path, "v2")
    watcher.check_now()
    assert watcher.current.version == "v1", "the swap waits for the loop"
    swapped = watcher.swap_if_ready()
    assert swapped is not None and swapped.version == "v2" and watcher.current.version == "v2"
    assert registry.get_sample_value("ticket_router_model_info", {"version": "v2"}) == 1
    assert registry.get_sample_value("ticket_router_model_info", {"version": "v1"}) is None, "only v2 is in service"


def test_no_loadable_model_at_start_is_an_error(tmp_path: Path) -> None:
    watcher = ModelWatcher(lambda: _bundle(tmp_path, "corrupt"), _loader, RouterMetrics(CollectorRegistry()), 60)
    with pytest.raises(ModelLoadError, match="no loadable model: sha256 mismatch"):
        watcher.load_initial()
