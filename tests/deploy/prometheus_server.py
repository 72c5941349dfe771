"""Run a real Prometheus server (Debian's ``prometheus`` package) against local targets.

    with run_prometheus({"router": ["127.0.0.1:9100"]}, tmp_path) as prom:
        prom.wait_until_up("router")
        prom.query("ticket_router_ready")

The server listens on a free loopback port, scrapes every second and stores its data under the
given folder; leaving the block stops it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

INSTALL_HINT = "apt-get install -y --no-install-recommends prometheus"


def prometheus_binary() -> str | None:
    """Path of the ``prometheus`` server binary, if installed."""
    return shutil.which("prometheus")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape_config(targets: Mapping[str, Sequence[str]], interval: str = "1s") -> dict[str, Any]:
    """A Prometheus configuration with one static job per entry of ``targets`` (job -> host:port list)."""
    return {
        "global": {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval},
        "scrape_configs": [
            {"job_name": job, "metrics_path": "/metrics", "static_configs": [{"targets": list(hosts)}]}
            for job, hosts in targets.items()
        ],
    }


@dataclass
class RunningPrometheus:
    """A started Prometheus: its base URL and a few calls of its HTTP API."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, path: str, **params: str) -> Any:
        """GET ``/api/v1/<path>`` and return its ``data`` (raises on an error status)."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=5) as response:  # noqa: S310
            body = json.loads(response.read())
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus API {path}: {body}")
        return body["data"]

    def targets(self, job: str | None = None) -> list[dict[str, Any]]:
        """Active targets (all, or those of one job) as /api/v1/targets reports them."""
        active: list[dict[str, Any]] = self.api("targets", state="active")["activeTargets"]
        return [t for t in active if job is None or t.get("labels", {}).get("job") == job]

    def wait_until_up(self, job: str, timeout: float = 20.0, count: int = 1) -> list[dict[str, Any]]:
        """Wait until ``count`` targets of ``job`` have been scraped successfully; returns them.

        Raises ``TimeoutError`` with the last state and scrape errors when that does not happen.
        """
        deadline = time.monotonic() + timeout
        targets: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            self._check_alive()
            targets = self.targets(job)
            if len([t for t in targets if t.get("health") == "up"]) >= count:
                return targets
            time.sleep(0.2)
        states = [(t.get("scrapeUrl"), t.get("health"), t.get("lastError")) for t in targets]
        raise TimeoutError(f"job {job!r}: fewer than {count} targets up after {timeout}s: {states}")

    def query(self, promql: str) -> list[dict[str, Any]]:
        """Result of an instant query (a list of ``{"metric": ..., "value": [t, "v"]}``)."""
        result: list[dict[str, Any]] = self.api("query", query=promql)["result"]
        return result

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"prometheus exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")


@contextlib.contextmanager
def run_prometheus(
    targets: Mapping[str, Sequence[str]],
    workdir: Path,
    interval: str = "1s",
    binary: str | None = None,
    start_timeout: float = 30.0,
) -> Iterator[RunningPrometheus]:
    """Start Prometheus scraping ``targets`` (job -> ["host:port", ...]); stop it on leaving."""
    binary = binary or prometheus_binary()
    if binary is None:
        raise FileNotFoundError(f"no prometheus binary on PATH ({INSTALL_HINT})")
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(targets, interval)))
    port = free_port()
    log = workdir / "prometheus.log"
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    running = RunningPrometheus(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_ready(running, start_timeout)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_ready(running: RunningPrometheus, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running._check_alive()
        try:
            with urllib.request.urlopen(f"{running.url}/-/ready", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"prometheus not ready after {timeout}s: {running.log.read_text()[-2000:]}")
