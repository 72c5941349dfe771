"""System tools the deployment tests run (promtool, amtool, shellcheck, ...): a skip locally, a failure in CI."""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    """True when ``CI`` is set to true (``.ci/run`` sets it): then a missing tool fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_tool(name: str, package: str) -> str:
    """Path of ``name`` on PATH; skips the test when it is missing, or fails it in CI."""
    path = shutil.which(name)
    if path is not None:
        return path
    message = f"{name} not on PATH: install Debian's {package} (`make tools` does, as root)"
    if in_ci():
        pytest.fail(f"{message}; CI must run this check")
    pytest.skip(message)
