"""Counters the alert rules take increase() of exist from the start at 0 (else the first step is missed)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from service.metrics import RouterMetrics
from training.metrics import TrainerMetrics


def test_reload_and_refresh_outcomes_start_at_zero() -> None:
    router = RouterMetrics(CollectorRegistry()).registry.get_sample_value
    trainer = TrainerMetrics(CollectorRegistry()).registry.get_sample_value
    for outcome in ("loaded", "refused"):
        assert router("ticket_router_model_reloads_total", {"outcome": outcome}) == 0
    for outcome in ("promoted", "rejected", "failed"):
        assert trainer("ticket_trainer_refresh_runs_total", {"outcome": outcome}) == 0
    assert trainer("ticket_trainer_forecast_publish_interval_seconds") == 0
