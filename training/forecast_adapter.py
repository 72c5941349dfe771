"""Glue from the trainer service to the loan forecaster's service core."""

from __future__ import annotations

from pathlib import Path

from service.errors import ConfigError
from training.forecast_link import ForecastSource


def load_forecast_source(bundle: Path) -> ForecastSource:
    """Load a forecast bundle as a :class:`ForecastSource`."""
    raise ConfigError(f"cannot serve {bundle}: the loan forecaster is not available in this build yet")
