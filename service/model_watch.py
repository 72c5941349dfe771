"""Hot reload: find the current bundle, load and smoke-test new ones off the hot path, swap between batches."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from classifier.prediction import Classifier, smoke_test
from core.errors import ModelLoadError
from service.heap import settle_heap
from service.metrics import RouterMetrics
from streaming.worker import BackgroundWorker

logger = logging.getLogger(__name__)

Loader = Callable[[Path], Classifier]
Resolver = Callable[[], Path]


def _fingerprint(path: Path) -> tuple[str, int]:
    """Identifies a bundle directory's content well enough to notice it was replaced."""
    try:
        stamps = [f.stat().st_mtime_ns for f in path.iterdir() if f.is_file()] if path.is_dir() else []
        return str(path.resolve()), max(stamps, default=0)
    except OSError:  # unreadable or changing under us: the loader will say what is wrong with it
        return str(path), -1


class ModelWatcher(BackgroundWorker):
    """Keeps the classifier in service current; a bundle that fails to load is refused and remembered."""

    name = "model-watch"
    join_timeout_s = 5.0

    def __init__(self, resolve: Resolver, load: Loader, metrics: RouterMetrics, interval_s: float) -> None:
        super().__init__()
        self._resolve = resolve
        self._load = load
        self._metrics = metrics
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._pending: Classifier | None = None
        self._serving_key: tuple[str, int] | None = None
        self._refused: set[tuple[str, int]] = set()
        self.current: Classifier | None = None

    def load_initial(self) -> Classifier:
        """Load the current bundle now; raises :class:`ModelLoadError` with the reason when none works."""
        try:
            candidate = self._try_load(raise_refusal=True)
        except (OSError, ModelLoadError) as exc:
            raise ModelLoadError(f"no loadable model: {exc}") from exc
        if candidate is None:
            raise ModelLoadError("no loadable model (see the log)")
        self._pending = None
        self._install(candidate)
        return candidate

    def swap_if_ready(self) -> Classifier | None:
        """Between batches: put a freshly loaded model in service; returns it, or None when nothing changed."""
        with self._lock:
            candidate, self._pending = self._pending, None
        if candidate is not None:
            self._install(candidate)
        return candidate

    def check_now(self) -> None:
        """Look for a new version once (the watcher thread calls this on its schedule)."""
        candidate = self._try_load()
        if candidate is not None:
            with self._lock:
                self._pending = candidate

    def _install(self, classifier: Classifier) -> None:
        previous = self.current.version if self.current else None
        self.current = classifier
        self._metrics.set_model(classifier.version)
        logger.info("model %s in service (was %s)", classifier.version, previous)
        settle_heap()

    def run(self) -> None:
        """Check for new versions every ``interval_s`` until stopped."""
        while not self._stop.wait(self._interval_s):
            self.check_now()

    def _safe_resolve(self) -> Path | None:
        try:
            return self._resolve()
        except (OSError, ModelLoadError) as exc:
            logger.warning("cannot resolve the current model: %s", exc)
            return None

    def _try_load(self, raise_refusal: bool = False) -> Classifier | None:
        """A new candidate in service order, or None; a refused one is counted and logged (or raised at start)."""
        path = self._resolve() if raise_refusal else self._safe_resolve()
        if path is None:
            return None
        key = _fingerprint(path)
        if key == self._serving_key or key in self._refused:
            return None
        try:
            candidate = self._load(path)
            smoke_test(candidate)
        except ModelLoadError as exc:
            self._refused.add(key)
            self._metrics.model_reloads.labels(outcome="refused").inc()
            if raise_refusal:
                raise
            logger.error("refused model bundle %s: %s; the model in service keeps serving", path, exc)
            return None
        self._serving_key = key
        self._metrics.model_reloads.labels(outcome="loaded").inc()
        logger.info("loaded model %s from %s", candidate.version, path)
        return candidate
