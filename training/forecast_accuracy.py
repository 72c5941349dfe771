"""Exports how far the served loan forecast is off as ``ticket_trainer_forecast_*`` gauges."""

from __future__ import annotations

from training.forecast.service import ForecastService
from training.metrics import TrainerMetrics


def record_accuracy(metrics: TrainerMetrics, service: ForecastService) -> None:
    """Score the served forecasts on the days completed since, and set the accuracy gauges per band."""
    manifest = service.bundle.manifest
    series = manifest.value
    served = next(m for m in manifest.evaluation.models if m.model == manifest.chosen_model)
    for band in service.check_accuracy():
        labels = {"series": series, "band": band.band}
        metrics.forecast_scored.labels(**labels).set(band.days)
        expected = served.bands.get(band.band)  # type: ignore[call-overload]
        if expected is not None and expected.all is not None:
            metrics.forecast_evaluation_error.labels(**labels).set(expected.all.mase)
        if band.scaled_error is not None and band.coverage is not None:
            metrics.forecast_scaled_error.labels(**labels).set(band.scaled_error)
            metrics.forecast_coverage.labels(**labels).set(band.coverage)
