"""Exports how far the served loan forecast is off as ``ticket_trainer_forecast_*`` gauges."""

from __future__ import annotations

import logging

from training.forecast.serving import ForecastService
from training.metrics import TrainerMetrics

logger = logging.getLogger(__name__)


def record_accuracy(metrics: TrainerMetrics, service: ForecastService) -> None:
    """Score the served forecasts on the days completed since, and set the accuracy gauges per band.

    Called by the loans consumer after each batch; a failure here is logged and never stops the consumer.
    """
    try:
        accuracy = service.check_accuracy()
    except Exception as exc:  # noqa: BLE001 - monitoring must not stop the loan stream
        logger.error("scoring the served loan forecast failed: %s", type(exc).__name__)
        return
    manifest = service.bundle.manifest
    served = next(m for m in manifest.evaluation.models if m.model == manifest.chosen_model)
    for band in accuracy:
        labels = {"series": manifest.value, "band": band.band}
        metrics.forecast_scored.labels(**labels).set(band.days)
        expected = served.bands.get(band.band)
        if expected is not None and expected.all is not None:
            metrics.forecast_evaluation_error.labels(**labels).set(expected.all.mase)
        if band.scaled_error is not None and band.coverage is not None:
            metrics.forecast_scaled_error.labels(**labels).set(band.scaled_error)
            metrics.forecast_coverage.labels(**labels).set(band.coverage)
