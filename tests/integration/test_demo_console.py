"""``ticket-router demo --keep-running``: the summary names the triage console, which serves until Ctrl-C
(even when the demo was started with SIGINT ignored, as a script's background job is)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.router_process import wait_for

STOP_TIMEOUT_S = 180
"""Above the demo's own bounds for stopping its parts: router 60 s, console 30 s, broker 10 s, then killed."""


def descendants(pid: int) -> set[int]:
    """The processes below ``pid`` (children, grandchildren ...), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@pytest.mark.slow
def test_the_demo_starts_the_console_and_keeps_it_up_until_ctrl_c(
    console_script: Callable[[str], Path], tmp_path: Path
) -> None:
    command = [str(console_script("ticket-router")), "demo", "-n", "40", "--no-malformed", "--keep-running"]
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    # Started the way a script's background job is, with SIGINT ignored: Ctrl-C must stop the demo all the same.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509 - no threads touch it
    )
    lines: list[str] = []
    family: set[int] = set()

    def read() -> None:
        assert process.stdout is not None
        lines.extend(process.stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(
            lambda: any("Ctrl-C stops it all" in line for line in lines) or process.poll() is not None, 400, "the demo"
        )
        output = "".join(lines)
        assert process.poll() is None, output[-3000:]
        family = descendants(process.pid)  # broker, router, console: none may outlive a failed test
        match = re.search(r"Triage console: (\d+) items waiting for an agent at (http://127\.0\.0\.1:\d+/)", output)
        assert match, output[-3000:]
        waiting, url = int(match.group(1)), match.group(2)
        with urllib.request.urlopen(url + "api/items?limit=500", timeout=10) as response:  # noqa: S310 - loopback
            assert json.loads(response.read())["count"] == waiting
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            assert "Triage console" in response.read().decode()
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack: where it hangs
            process.wait(timeout=30)
            reader.join(timeout=10)
            pytest.fail(f"the demo did not stop within {STOP_TIMEOUT_S} s of Ctrl-C:\n{''.join(lines)[-8000:]}")
        assert code in (0, 130), "".join(lines)[-3000:]
    finally:
        if process.poll() is None:
            family |= descendants(process.pid)
            process.kill()
            process.wait()
        for pid in family:
            with contextlib.suppress(ProcessLookupError):  # stopped by the demo, as it should be
                os.kill(pid, signal.SIGKILL)
        reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
