"""Drive the real `serve` processes of the router and the trainer in tests: start, probe, produce, read back, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from schemas.common import DEPARTMENTS
from streaming.embedded_broker import free_port
from streaming.kafka_config import KafkaSettings, consumer_kwargs
from streaming.topics import ensure_topics


def wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``condition`` until true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def http_get(port: int, path: str) -> tuple[int, str]:
    """Status and body of a GET on loopback (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as resp:  # noqa: S310
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""
    except OSError:
        return 0, ""


def metric_value(body: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels`` in a Prometheus exposition."""
    total = 0.0
    for line in body.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


@dataclass
class Topics:
    """A unique set of topic names for one test."""

    complaints: str
    social: str
    prefix: str
    dlq: str

    @property
    def outputs(self) -> list[str]:
        return [f"{self.prefix}{d}" for d in DEPARTMENTS] + [self.dlq]

    def env(self) -> dict[str, str]:
        return {
            "TICKET_ROUTER_INPUT_TOPICS": f"{self.complaints},{self.social}",
            "TICKET_ROUTER_ROUTED_TOPIC_PREFIX": self.prefix,
            "TICKET_ROUTER_DLQ_TOPIC": self.dlq,
        }


def make_topics(kafka: KafkaSettings, unique: Callable[[str], str], partitions: int = 2) -> Topics:
    """Create a fresh set of input and output topics."""
    tag = unique("t")
    topics = Topics(f"{tag}.complaints", f"{tag}.social", f"{tag}.routed.", f"{tag}.dlq")
    ensure_topics(kafka, [topics.complaints, topics.social, *topics.outputs], partitions=partitions)
    return topics


class ServiceProcess:
    """One ``<script> serve`` subprocess on a free HTTP port, its output in a log file."""

    name = "service"
    env_prefix = ""

    def __init__(self, script: Path, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        full_env = {
            **os.environ,
            f"{self.env_prefix}HTTP_HOST": "127.0.0.1",
            f"{self.env_prefix}HTTP_PORT": str(self.port),
            "LOG_LEVEL": "INFO",
            **env,
        }
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [str(script), "serve"], env=full_env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def ready(self) -> bool:
        return http_get(self.port, "/readyz")[0] == 200

    def wait_ready(self, timeout: float = 90) -> None:
        def check() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}: {self.log()[-3000:]}")
            return self.ready()

        wait_for(check, timeout, f"the {self.name} to be ready")

    def metrics(self) -> str:
        return http_get(self.port, "/metrics")[1]

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


class RouterProcess(ServiceProcess):
    """One ``ticket-router serve`` subprocess."""

    name = "router"
    env_prefix = "TICKET_ROUTER_"

    def __init__(self, script: Path, bootstrap: str, env: dict[str, str], log_path: Path) -> None:
        defaults = {
            "TICKET_ROUTER_BOOTSTRAP_SERVERS": bootstrap,
            "TICKET_ROUTER_BATCH_WAIT_MS": "20",
            "TICKET_ROUTER_RECONNECT_BACKOFF_MAX_S": "1",
        }
        super().__init__(script, {**defaults, **env}, log_path)


TEST_API_TOKEN = "integration-test-token-5f0c2a9e7d41"  # noqa: S105 - a token for throwaway test processes


class TrainerProcess(ServiceProcess):
    """One ``ticket-trainer serve`` subprocess, with its JSON API (its API token is ``TEST_API_TOKEN``)."""

    name = "trainer"
    env_prefix = "TICKET_TRAINER_"

    def __init__(self, script: Path, env: dict[str, str], log_path: Path) -> None:
        super().__init__(script, {"TICKET_TRAINER_API_TOKEN": TEST_API_TOKEN, **env}, log_path)

    def get(self, path: str) -> Any:
        status, body = http_get(self.port, path)
        assert status == 200, f"GET {path}: {status}"
        return json.loads(body) if path != "/metrics" else body

    def post(self, path: str, token: str | None = TEST_API_TOKEN) -> tuple[int, Any]:
        """Status and JSON body of a POST, with ``token`` as its bearer token (None: no Authorization header)."""
        status, _, body = self.request("POST", path, token)
        return status, body

    def request(self, method: str, path: str, token: str | None) -> tuple[int, dict[str, str], Any]:
        """Status, headers and JSON body of one request."""
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        url = f"http://127.0.0.1:{self.port}{path}"
        request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310
                return resp.status, dict(resp.headers), json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), json.loads(err.read())

    def wait_job(self, job_id: str, timeout: float = 180) -> dict[str, Any]:
        def done() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"trainer exited: {self.log()[-3000:]}")
            return bool(self.get(f"/jobs/{job_id}")["state"] != "running")

        wait_for(done, timeout, f"refresh job {job_id}", interval=0.5)
        job: dict[str, Any] = self.get(f"/jobs/{job_id}")
        assert job["state"] == "succeeded", f"{job}\n{self.log()[-3000:]}"
        return job


def produce(kafka: KafkaSettings, items: Iterable[tuple[str, bytes, bytes | None]]) -> int:
    """Send (topic, key, value) items and wait for every acknowledgment; returns the count."""
    producer: Any = KafkaProducer(**kafka.client_kwargs(), acks="all", linger_ms=5)
    count = 0
    for topic, key, value in items:
        producer.send(topic, key=key, value=value)
        count += 1
    producer.flush()
    producer.close()
    return count


def complaint(event_id: str, text: str) -> bytes:
    """A valid complaint event."""
    return json.dumps(
        {"kind": "complaint", "event_id": event_id, "text": text, "created_at": "2026-11-24T12:00:00Z"}
    ).encode()


class OutputReader:
    """Reads every output topic with read_committed, from the beginning, without a group."""

    def __init__(self, kafka: KafkaSettings, topics: Topics) -> None:
        self.topics = topics
        self.consumer = KafkaConsumer(*topics.outputs, **consumer_kwargs(kafka, None, isolation_level="read_committed"))
        self.records: list[Any] = []

    def read_until(self, count: int, timeout: float = 60) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.records) < count and time.monotonic() < deadline:
            for batch in self.consumer.poll(timeout_ms=300).values():
                self.records.extend(batch)
        return self.records

    def drain(self, quiet_s: float = 2.0) -> list[Any]:
        """Read until nothing new arrives for ``quiet_s`` seconds."""
        last = time.monotonic()
        while time.monotonic() - last < quiet_s:
            got = self.consumer.poll(timeout_ms=300)
            for batch in got.values():
                self.records.extend(batch)
                last = time.monotonic()
        return self.records

    def ids(self) -> list[str]:
        """The input event id (or DLQ key) of every output record."""
        out = []
        for r in self.records:
            if r.topic == self.topics.dlq:
                out.append("dlq:" + (r.key or b"").decode(errors="replace"))
            else:
                out.append(json.loads(r.value)["event"]["event_id"])
        return out

    def close(self) -> None:
        self.consumer.close()
