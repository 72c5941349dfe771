"""Headless Chromium driven by Selenium, with the system's browser and driver (nothing downloaded)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _first(paths: tuple[str, ...]) -> str | None:
    return next((p for p in paths if Path(p).is_file()), None)


@contextmanager
def chromium(width: int = 1366, height: int = 820) -> Iterator[Any]:
    """A headless Chromium session on a fresh profile; a clear failure when the browser is not installed."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = _first(CHROMIUM), _first(CHROMEDRIVER)
    if binary is None or driver is None:
        pytest.fail(
            "Chromium and its driver are needed (Debian: apt-get install chromium chromium-driver; .ci/run does it)"
        )
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
        f"--window-size={width},{height}", "--force-device-scale-factor=1", "--lang=en-US",
    ):  # fmt: skip
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
