"""The triage console in the demo: a real ``ticket-console serve`` on the demo's broker, an embedded database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from streaming.embedded_broker import free_port

Say = Callable[[str], None]
Waiter = Callable[[subprocess.Popen[bytes], int, float, Say, str], None]


def console_command() -> list[str]:
    """The installed ``ticket-console`` next to this interpreter, else the module form."""
    script = Path(sys.executable).parent / "ticket-console"
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from console.cli import main; main()"]


@contextmanager
def demo_console(bootstrap: str, say: Say, wait_ready: Waiter) -> Iterator[str]:
    """Run the console (SQLite in a temporary folder, ``AUTH=none``) until the block ends; yields its URL."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ticket-console-demo-") as folder:
        env = {
            **os.environ,
            "TICKET_CONSOLE_BOOTSTRAP_SERVERS": bootstrap,
            "TICKET_CONSOLE_HTTP_HOST": "127.0.0.1",
            "TICKET_CONSOLE_HTTP_PORT": str(port),
            "TICKET_CONSOLE_DATABASE_URL": f"sqlite:///{Path(folder) / 'console.sqlite3'}",
            "TICKET_CONSOLE_AUTH": "none",  # the demo only: every visitor is agent "demo"
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
        log = Path(folder) / "console.log"
        say("starting the triage console (ticket-console serve) ...")
        command = [*console_command(), "serve"]
        with (
            log.open("wb") as out,
            subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT) as process,  # noqa: S603
        ):
            try:
                wait_ready(process, port, 60, say, "triage console")
                yield f"http://127.0.0.1:{port}/"
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
