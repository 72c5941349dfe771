"""Grafana provisioning and the dashboard: every query uses metrics and labels the services export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.common import DEPARTMENTS
from tests.deploy import metric_names
from tests.deploy.metric_names import dashboard_problems, dashboard_queries, promql_references

GRAFANA = Path("deploy/grafana")
DASHBOARD = GRAFANA / "dashboards" / "ticket-router.json"
# What the issue asks the dashboard to show, by the metric each needs.
REQUIRED_METRICS = {
    "events per department": "ticket_router_events_routed_total",
    "dead letters by reason": "ticket_router_events_dead_lettered_total",
    "end-to-end latency": "ticket_router_end_to_end_seconds_bucket",
    "inference latency": "ticket_router_inference_seconds_bucket",
    "confidence distribution": "ticket_router_prediction_confidence_bucket",
    "consumer lag": "ticket_router_consumer_lag_messages",
    "model version": "ticket_router_model_info",
    "batch size": "ticket_router_batch_size_events_bucket",
    "refresh outcomes": "ticket_trainer_refresh_runs_total",
    "loan forecast": "ticket_trainer_loan_forecast",
    "triage queue: open items": "ticket_console_open_items",
    "triage queue: oldest open age": "ticket_console_oldest_open_age_seconds",
    "triage queue: decisions by outcome and department": "ticket_console_resolutions_total",
    "triage queue: agreement with the model": "ticket_console_model_agreement_ratio",
}


@pytest.fixture(scope="module")
def dashboards(repo: Path) -> dict[str, dict[str, Any]]:
    return metric_names.load_dashboards(repo / GRAFANA / "dashboards")


@pytest.fixture(scope="module")
def dashboard(dashboards: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return dashboards[DASHBOARD.name]


@pytest.fixture(scope="module")
def datasource(repo: Path) -> dict[str, Any]:
    data = yaml.safe_load((repo / GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    assert data["apiVersion"] == 1
    (source,) = data["datasources"]
    result: dict[str, Any] = source
    return result


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel that is not a row."""
    found = []
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            found.append(panel)
        found += panel.get("panels", [])
    return found


def test_datasource_points_at_the_compose_prometheus(datasource: dict[str, Any], services: dict[str, Any]) -> None:
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert "prometheus" in services
    assert datasource["uid"]
    assert datasource.get("isDefault") is True


def test_dashboard_provider_reads_the_mounted_folder(repo: Path, services: dict[str, Any]) -> None:
    data = yaml.safe_load((repo / GRAFANA / "provisioning/dashboards/ticket-router.yml").read_text())
    assert data["apiVersion"] == 1
    (provider,) = data["providers"]
    assert provider["type"] == "file"
    folder = provider["options"]["path"]
    grafana = services["grafana"]
    assert f"./{GRAFANA}/dashboards:{folder}:ro" in grafana["volumes"]
    assert f"./{GRAFANA}/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{folder}/{DASHBOARD.name}"


def test_every_panel_is_described_and_uses_the_provisioned_datasource(
    dashboard: dict[str, Any], datasource: dict[str, Any]
) -> None:
    assert dashboard["uid"] and dashboard["title"]
    for panel in panels(dashboard):
        assert panel.get("title"), panel
        assert len(panel.get("description", "")) >= 20, f"{panel['title']}: no description"
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == datasource["uid"], panel["title"]
            assert target["expr"].strip(), panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]


def test_panel_ids_are_unique_and_the_layout_does_not_overlap(dashboard: dict[str, Any]) -> None:
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_dashboard_shows_what_the_issue_asks_for(dashboard: dict[str, Any]) -> None:
    used = metric_names.referenced_metrics(expr for _, expr in dashboard_queries(dashboard))
    missing = {what: name for what, name in REQUIRED_METRICS.items() if name not in used}
    assert not missing


def test_every_query_uses_exported_metrics_and_labels(dashboards: dict[str, dict[str, Any]]) -> None:
    exported = metric_names.merge(
        metric_names.router_exported(), metric_names.trainer_exported(), metric_names.console_exported()
    )
    for name, dashboard in dashboards.items():
        assert dashboard_problems(dashboard, exported) == [], name


def test_department_values_in_queries_are_departments(dashboard: dict[str, Any]) -> None:
    for _, expr in dashboard_queries(dashboard):
        for _, label, value in promql_references(expr)[2]:
            if label == "department":
                assert value in DEPARTMENTS, expr


def test_the_dashboard_check_can_fail() -> None:
    exported = metric_names.router_exported()
    broken = {
        "panels": [
            {"title": "typo", "targets": [{"expr": "rate(ticket_router_events_routd_total[5m])"}]},
            {"title": "label", "targets": [{"expr": "sum by (dept) (rate(ticket_router_events_routed_total[5m]))"}]},
            {"title": "matcher", "targets": [{"expr": 'ticket_router_model_info{versio="1"}'}]},
            {
                "title": "ok",
                "targets": [{"expr": 'sum by (le) (rate(ticket_router_inference_seconds_bucket{job="router"}[5m]))'}],
            },
        ]
    }
    problems = dashboard_problems(broken, exported)
    assert [p.split(":")[0] for p in problems] == ["typo", "label", "matcher"]


def test_the_triage_queue_has_its_row(dashboard: dict[str, Any]) -> None:
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert "Triage queue" in rows
    start = next(p["gridPos"]["y"] for p in dashboard["panels"] if p["title"] == "Triage queue")
    below = [p for p in panels(dashboard) if p["gridPos"]["y"] > start]
    assert below and all("ticket_console_" in t["expr"] for p in below for t in p["targets"])
