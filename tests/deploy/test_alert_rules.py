"""deploy/prometheus/alerts.yml: promtool's unit tests pass, each rule fires and stays quiet, uses exported metrics."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import metric_names
from tests.deploy.tools import require_tool

PROMETHEUS = Path("deploy/prometheus")
ALERTS = PROMETHEUS / "alerts.yml"
ALERTMANAGER = Path("deploy/alertmanager/alertmanager.yml")
# What the operations issue asks to be paged for, by alert name.
REQUIRED = {
    "TicketRouterNoReadyReplica",
    "TicketRouterConsumerLagGrowing",
    "TicketRouterDeadLetterRateHigh",
    "TicketRouterTriageShareDrift",
    "TicketRouterEndToEndLatencyHigh",
    "TicketRouterModelReloadRefused",
    "TicketTrainerRefreshFailing",
    "TicketTrainerForecastStale",
    "TicketConsoleQueueStale",
}


@pytest.fixture(scope="module")
def rules(repo: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load((repo / ALERTS).read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def rule_tests(repo: Path) -> list[Path]:
    found = sorted((repo / PROMETHEUS).glob("alerts*.test.yml"))
    assert found, "no promtool unit tests"
    return found


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def readme_anchors(readme: str) -> set[str]:
    return {github_anchor(h) for h in re.findall(r"^#+ (.+)$", readme, flags=re.MULTILINE)}


def test_the_issue_alerts_are_there(rules: list[dict[str, Any]]) -> None:
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), "duplicate alert names"
    assert set(names) == REQUIRED


def test_each_rule_has_severity_summary_description_and_a_runbook(rules: list[dict[str, Any]], repo: Path) -> None:
    anchors = readme_anchors((repo / "README.md").read_text())
    for rule in rules:
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        notes = rule["annotations"]
        assert notes["summary"].strip() and notes["description"].strip(), name
        page, _, anchor = notes["runbook_url"].partition("#")
        assert page == "README.md" and anchor == f"runbook-{name.lower()}", name
        assert anchor in anchors, f"{name}: README has no heading for #{anchor}"


def test_expressions_use_only_exported_metrics(rules: list[dict[str, Any]]) -> None:
    exported = metric_names.merge(
        metric_names.PROMETHEUS_SERIES,
        metric_names.router_exported(),
        metric_names.trainer_exported(),
        metric_names.console_exported(),
    )
    problems = [
        f"{rule['alert']}: {problem}"
        for rule in rules
        for problem in metric_names.query_problems(rule["expr"], exported)
    ]
    assert problems == []
    # The check can fail: a misspelt metric and a label the metric does not carry are reported.
    assert metric_names.query_problems("rate(ticket_router_events_dead_letter_total[5m]) > 0", exported)
    assert metric_names.query_problems('ticket_router_events_dead_lettered_total{department="cards"}', exported)


def test_every_rule_has_a_firing_and_a_quiet_case(rules: list[dict[str, Any]], rule_tests: list[Path]) -> None:
    cases: dict[str, set[bool]] = defaultdict(set)
    for path in rule_tests:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                cases[case["alertname"]].add(bool(case.get("exp_alerts")))
    for rule in rules:
        assert cases[rule["alert"]] == {True, False}, f"{rule['alert']}: needs one firing and one quiet case"


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    binary = require_tool("promtool", "prometheus")
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=300, check=False)


def test_promtool_accepts_the_rules(repo: Path) -> None:
    result = promtool("check", "rules", repo / ALERTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(REQUIRED)} rules found" in result.stdout


def test_promtool_unit_tests_pass(rule_tests: list[Path]) -> None:
    result = promtool("test", "rules", *rule_tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_catch_a_changed_threshold(repo: Path, tmp_path: Path) -> None:
    """The unit tests can fail: with the console SLA raised tenfold its firing case no longer fires."""
    text = (repo / ALERTS).read_text()
    sla = "ticket_console_oldest_open_age_seconds) > 900"
    assert text.count(sla) == 1
    (tmp_path / ALERTS.name).write_text(text.replace(sla, sla + "0"))
    shutil.copy(repo / PROMETHEUS / "alerts.test.yml", tmp_path)
    result = promtool("test", "rules", tmp_path / "alerts.test.yml")
    assert result.returncode != 0
    assert "TicketConsoleQueueStale" in result.stdout + result.stderr


def test_compose_prometheus_loads_the_rules_and_sends_to_alertmanager(repo: Path, services: dict[str, Any]) -> None:
    config = yaml.safe_load((repo / PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == [ALERTS.name], "relative to prometheus.yml: mounted beside it"
    assert f"./{ALERTS}:/etc/prometheus/{ALERTS.name}:ro" in services["prometheus"]["volumes"]
    (manager,) = config["alerting"]["alertmanagers"]
    assert [t for sc in manager["static_configs"] for t in sc["targets"]] == ["alertmanager:9093"]
    assert "alertmanager" in services


def test_alertmanager_config_routes_everything_to_a_replaceable_receiver(repo: Path, services: dict[str, Any]) -> None:
    config = yaml.safe_load((repo / ALERTMANAGER).read_text())
    receivers = {r["name"]: r for r in config["receivers"]}
    root = config["route"]["receiver"]
    assert root in receivers
    assert receivers[root].keys() == {"name"}, "the shipped receiver sends nothing until operators replace it"
    for route in config["route"].get("routes", []):
        assert route["receiver"] in receivers
    alertmanager = services["alertmanager"]
    assert f"./{ALERTMANAGER}:/etc/alertmanager/alertmanager.yml:ro" in alertmanager["volumes"]
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in alertmanager["command"]
    inhibited = {m for rule in config["inhibit_rules"] for m in rule["source_matchers"] + rule["target_matchers"]}
    for name in re.findall(r"Ticket\w+", " ".join(inhibited)):
        assert name in REQUIRED, f"inhibit rule names unknown alert {name}"


def test_amtool_accepts_the_alertmanager_config(repo: Path) -> None:
    amtool = require_tool("amtool", "prometheus-alertmanager")
    result = subprocess.run(
        [amtool, "check-config", str(repo / ALERTMANAGER)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
