"""Fixtures shared by every test: the shared data folder, which must exist (no silent skips)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from core.paths import default_data_dir


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared, labelled data; a clear failure when it is missing."""
    path = default_data_dir()
    if not (path / "taxonomy.csv").is_file():
        pytest.fail(f"shared data not found at {path}: set TICKET_DATA_DIR or check out ../shared/data")
    return path


@pytest.fixture(scope="session")
def console_script() -> Callable[[str], Path]:
    """Path of an installed console script of this project (the real command users run)."""

    def find(name: str) -> Path:
        path = Path(sys.executable).parent / name
        if not path.is_file():
            pytest.fail(f"console script {name} is not installed next to {sys.executable}: run `make test`")
        return path

    return find
