"""A real broker per test session over TCP, and factories for unique topic and group names."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streaming.embedded_broker import EmbeddedBroker
from streaming.kafka_config import KafkaSettings
from tests.integration.postgres import PostgresServer, postgres_bindir
from tests.integration.router_process import RouterProcess


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """The embedded Tansu broker on a free loopback port for the whole session."""
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture
def kafka_settings(broker: EmbeddedBroker) -> KafkaSettings:
    """Connection settings pointing at the session broker."""
    return KafkaSettings(bootstrap_servers=broker.bootstrap)


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Factory for topic and group names that no other test uses."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def start_router(
    broker: EmbeddedBroker, tmp_path: Path, console_script: Callable[[str], Path]
) -> Iterator[Callable[..., RouterProcess]]:
    started: list[RouterProcess] = []

    def start(env: dict[str, str], name: str = "router") -> RouterProcess:
        proc = RouterProcess(console_script("ticket-router"), broker.bootstrap, env, tmp_path / f"{name}.log")
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


@pytest.fixture(scope="session")
def small_labelled_csv(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few hundred ``text,label`` rows of the shared data, every department present."""
    from tests.integration.classifier_tools import write_small_csv

    return write_small_csv(data_dir, tmp_path_factory.mktemp("data") / "small.csv")


@pytest.fixture(scope="session")
def tiny_bundle(
    small_labelled_csv: Path, tmp_path_factory: pytest.TempPathFactory, console_script: Callable[[str], Path]
) -> Path:
    """A tiny model bundle trained by the real ``ticket-trainer train-classifier`` command (seconds, not minutes)."""
    from tests.integration.classifier_tools import run

    root = tmp_path_factory.mktemp("bundles")
    bundle = root / "tiny-1"
    result = run(
        console_script("ticket-trainer"), "train-classifier", "--train", small_labelled_csv, "--text-column", "text",
        "--label-column", "label", "--tiny", "--out", bundle, "--work-dir", root / "work",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return bundle


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster for the session; a clear failure when PostgreSQL is not installed."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run does it)")
    with PostgresServer(bindir) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh work-item database: an embedded SQLite file, then a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'console.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()
