"""Fixtures of the deployment tests: the repository's deployment files, parsed, and a Prometheus factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose import load_compose
from tests.deploy.dockerfile import Instruction, parse_dockerfile
from tests.deploy.prometheus_server import RunningPrometheus, run_prometheus
from tests.deploy.tools import require_tool

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo() -> Path:
    """The checkout's root folder."""
    return REPO


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """docker-compose.yml as data, before interpolation."""
    return load_compose(REPO / "docker-compose.yml")


@pytest.fixture(scope="session")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services by name."""
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


@pytest.fixture(scope="session")
def dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions."""
    return parse_dockerfile(REPO / "Dockerfile")


@pytest.fixture
def prometheus_factory(tmp_path: Path) -> Iterator[Callable[[Mapping[str, Sequence[str]]], RunningPrometheus]]:
    """Start real Prometheus servers scraping the given targets (job -> ["host:port"]); all stop at teardown.

    Skips the test when Debian's ``prometheus`` package is not installed (fails it with ``CI=true``).
    """
    require_tool("prometheus", "prometheus")
    numbers = count()
    with ExitStack() as stack:

        def start(targets: Mapping[str, Sequence[str]]) -> RunningPrometheus:
            workdir = tmp_path / f"prometheus-{next(numbers)}"
            return stack.enter_context(run_prometheus(targets, workdir))

        yield start
