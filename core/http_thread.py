"""A FastAPI app served by uvicorn in a background thread, on a port bound first so a busy port is a clear error."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import TYPE_CHECKING

from core.errors import ConfigError

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

START_TIMEOUT_S = 15.0


def listen(host: str, port: int, what: str) -> socket.socket:
    """Bind ``host:port`` now; :class:`ConfigError` naming ``what`` when it cannot be bound."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"{what} cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


def serve_in_thread(
    app: FastAPI, host: str, port: int, stack: contextlib.ExitStack, what: str
) -> tuple[uvicorn.Server, int]:
    """Start ``app`` and wait until it serves; returns the uvicorn server and the bound port.

    ``stack`` receives the shutdown (ask the server to exit, join its thread, close the socket). Outside the
    main thread uvicorn installs no signal handlers: the serve command owns SIGTERM.
    """
    import uvicorn

    sock = listen(host, port, what)
    bound = int(sock.getsockname()[1])
    stack.callback(sock.close)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="http", daemon=True)
    thread.start()
    stack.callback(thread.join, 10)
    stack.callback(setattr, server, "should_exit", True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ConfigError(f"{what} could not serve on {host}:{bound} (see the log)")
        time.sleep(0.05)
    return server, bound
