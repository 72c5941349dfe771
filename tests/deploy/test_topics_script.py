"""deploy/kafka/create-topics.sh creates every topic the services use, run against a fake kafka-topics.sh."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from service.settings import RouterSettings
from tests.deploy.app_settings import trainer_topics
from tests.deploy.tools import require_tool

SCRIPT = Path("deploy/kafka/create-topics.sh")

# Keeps topics as files <state>/<name> holding the partition count; logs every call.
FAKE_KAFKA_TOPICS = r"""#!/usr/bin/env bash
set -euo pipefail
echo "$*" >> "$STATE/calls"
action=""; topic=""; partitions=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --list|--create|--alter|--describe) action="$1"; shift ;;
    --topic) topic="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --bootstrap-server|--replication-factor) shift 2 ;;
    *) shift ;;
  esac
done
case "$action" in
  --list) ls "$STATE/topics" ;;
  --create) [[ -e "$STATE/topics/$topic" ]] || echo "$partitions" > "$STATE/topics/$topic" ;;
  --alter) echo "$partitions" > "$STATE/topics/$topic" ;;
  --describe) echo "Topic: $topic	TopicId: x	PartitionCount: $(cat "$STATE/topics/$topic")	ReplicationFactor: 1" ;;
esac
"""


@pytest.fixture
def fake_kafka(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "topics").mkdir()
    tool = bin_dir / "kafka-topics.sh"
    tool.write_text(FAKE_KAFKA_TOPICS)
    tool.chmod(0o755)
    return tmp_path


def run_script(repo: Path, state: Path, **env: str) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash")
    assert bash is not None
    environment = {"PATH": os.environ["PATH"], "STATE": str(state), "KAFKA_BIN": str(state / "bin"), **env}
    return subprocess.run(
        [bash, str(repo / SCRIPT)], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def topics(state: Path) -> dict[str, int]:
    return {p.name: int(p.read_text()) for p in (state / "topics").iterdir()}


def expected_topics() -> set[str]:
    router = RouterSettings()
    return set(router.input_topics) | set(router.output_topics()) | trainer_topics()


def test_creates_every_topic_with_the_partitions_asked_for(repo: Path, fake_kafka: Path) -> None:
    result = run_script(repo, fake_kafka, TOPIC_PARTITIONS="6")
    assert result.returncode == 0, result.stderr
    assert topics(fake_kafka) == dict.fromkeys(expected_topics(), 6)
    assert "--bootstrap-server kafka:29092" in (fake_kafka / "calls").read_text()


def test_is_idempotent_and_grows_topics_with_too_few_partitions(repo: Path, fake_kafka: Path) -> None:
    (fake_kafka / "topics" / "tickets.complaints").write_text("2\n")
    (fake_kafka / "topics" / "tickets.social").write_text("12\n")
    assert run_script(repo, fake_kafka, TOPIC_PARTITIONS="6").returncode == 0
    again = run_script(repo, fake_kafka, TOPIC_PARTITIONS="6")
    assert again.returncode == 0, again.stderr
    created = topics(fake_kafka)
    assert created["tickets.complaints"] == 6
    assert created["tickets.social"] == 12, "partitions are never reduced"
    assert "--create" not in "".join(line for line in again.stdout.splitlines())


def test_refuses_a_bad_partition_count(repo: Path, fake_kafka: Path) -> None:
    result = run_script(repo, fake_kafka, TOPIC_PARTITIONS="0")
    assert result.returncode == 2
    assert "TOPIC_PARTITIONS" in result.stderr
    assert topics(fake_kafka) == {}


def test_script_syntax(repo: Path) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash, "-n", str(repo / SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_shellcheck_is_clean(repo: Path) -> None:
    shellcheck = require_tool("shellcheck", "shellcheck")  # bash -n above runs either way
    result = subprocess.run([shellcheck, str(repo / SCRIPT)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout
