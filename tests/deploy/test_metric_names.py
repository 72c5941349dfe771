"""The metric-name helpers read expositions and PromQL the way the dashboard check relies on."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from tests.deploy.metric_names import (
    console_exported,
    from_exposition,
    from_registry,
    promql_references,
    router_exported,
    trainer_exported,
)


def test_exposition_names_follow_the_metric_types() -> None:
    registry = CollectorRegistry()
    Counter("jobs", "", ["outcome"], registry=registry)
    Histogram("wait_seconds", "", registry=registry)
    Gauge("depth", "", registry=registry).set(2)
    exported = from_registry(registry)
    assert {"jobs_total", "wait_seconds_bucket", "wait_seconds_sum", "wait_seconds_count", "depth"} <= set(exported)
    assert "jobs" not in exported
    assert exported["jobs_total"] is None  # no child yet: label names unknown from the text alone
    assert exported["wait_seconds_bucket"] == frozenset({"le"})


def test_scraped_samples_carry_their_labels() -> None:
    text = (
        "# TYPE ticket_router_events_routed_total counter\n"
        'ticket_router_events_routed_total{department="cards",reason="confident"} 3\n'
    )
    assert from_exposition(text) == {"ticket_router_events_routed_total": frozenset({"department", "reason"})}


def test_service_bundles_expose_namespaced_names_with_labels() -> None:
    router, trainer = router_exported(), trainer_exported()
    assert router["ticket_router_events_routed_total"] == frozenset({"department", "reason"})
    assert router["ticket_router_end_to_end_seconds_bucket"] == frozenset({"le"})
    assert router["ticket_router_model_info"] == frozenset({"version"})
    assert trainer["ticket_trainer_refresh_runs_total"] == frozenset({"outcome"})
    assert trainer["ticket_trainer_loan_forecast"] == frozenset({"series", "horizon_days", "bound"})
    assert "process_resident_memory_bytes" in router, "the soak benchmark and operators watch the router's memory"
    assert all(name.startswith(("ticket_router_", "process_")) for name in router)
    assert all(name.startswith("ticket_trainer_") for name in trainer)


def test_promql_references() -> None:
    names, grouping, matchers = promql_references(
        "histogram_quantile(0.95, sum by (le, department) "
        '(rate(x_bucket{department="triage", job=~"r.*"}[$__rate_interval])))'
        " / on (job) group_left sum(y_total offset 5m) > bool 1e3"
    )
    assert names == {"x_bucket", "y_total"}
    assert grouping == {"le", "department", "job"}
    assert matchers == [("x_bucket", "department", "triage"), ("x_bucket", "job", "r.*")]


def test_the_console_exports_its_queue_metrics() -> None:
    console = console_exported()
    assert all(name.startswith("ticket_console_") or name.startswith("process_") for name in console)
    assert console["ticket_console_resolutions_total"] == frozenset({"outcome", "department"})
    assert console["ticket_console_open_items"] == frozenset({"priority"})
    assert console["ticket_console_model_agreement_ratio"] == frozenset({"rank"})
    assert console["ticket_console_records_refused_total"] == frozenset({"reason"})
    assert "ticket_console_oldest_open_age_seconds" in console and "ticket_console_resolve_seconds_bucket" in console
