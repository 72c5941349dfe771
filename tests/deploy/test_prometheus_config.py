"""deploy/prometheus/prometheus.yml: scrapes every router replica and the trainer, and promtool accepts it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.compose import service_environment
from tests.deploy.prometheus_server import INSTALL_HINT

CONFIG = Path("deploy/prometheus/prometheus.yml")


@pytest.fixture(scope="module")
def config(repo: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((repo / CONFIG).read_text())
    return data


def job(config: dict[str, Any], name: str) -> dict[str, Any]:
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert name in jobs, f"no scrape job {name}"
    return jobs[name]


def test_jobs_are_unique(config: dict[str, Any]) -> None:
    names = [j["job_name"] for j in config["scrape_configs"]]
    assert len(names) == len(set(names))


def test_router_replicas_are_found_through_docker_dns(config: dict[str, Any], services: dict[str, Any]) -> None:
    router = job(config, "router")
    assert "static_configs" not in router, "a static target would only ever reach one replica"
    (sd,) = router["dns_sd_configs"]
    assert sd["names"] == ["router"] and "router" in services
    assert sd["type"] == "A"
    port = service_environment(services["router"], {})["TICKET_ROUTER_HTTP_PORT"]
    assert sd["port"] == int(port)
    assert router.get("metrics_path", "/metrics") == "/metrics"


def test_trainer_is_scraped(config: dict[str, Any], services: dict[str, Any]) -> None:
    trainer = job(config, "trainer")
    targets = [t for sc in trainer["static_configs"] for t in sc["targets"]]
    assert targets == ["trainer:8080"]
    assert "trainer" in services
    assert trainer.get("metrics_path", "/metrics") == "/metrics"


def test_compose_mounts_this_file(services: dict[str, Any]) -> None:
    prometheus = services["prometheus"]
    assert f"./{CONFIG}:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]


def test_promtool_accepts_the_config(repo: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip(f"promtool not on PATH (the YAML checks above still ran); install it with `{INSTALL_HINT}`")
    result = subprocess.run(
        [promtool, "check", "config", str(repo / CONFIG)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_promtool_refuses_a_broken_config(tmp_path: Path) -> None:
    """The check above can fail: promtool rejects a config with an unknown field."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip(f"promtool not on PATH; install it with `{INSTALL_HINT}`")
    broken = tmp_path / "prometheus.yml"
    broken.write_text("scrape_configs:\n  - job_name: router\n    dns_sd_config: []\n")
    result = subprocess.run([promtool, "check", "config", str(broken)], capture_output=True, timeout=60, check=False)
    assert result.returncode != 0


def test_console_is_scraped(config: dict[str, Any], services: dict[str, Any]) -> None:
    console = job(config, "console")
    assert [t for sc in console["static_configs"] for t in sc["targets"]] == ["console:8090"]
    assert "console" in services
