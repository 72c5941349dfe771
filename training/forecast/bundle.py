"""A forecaster bundle directory: manifest, LSTM model file, training series, plot; written and loaded."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from core.errors import ModelLoadError, describe_exception
from schemas.common import describe_validation_error
from schemas.forecast import ForecastManifest
from training.forecast.adaptive import AdaptiveIntervals
from training.forecast.baselines import baseline_by_name
from training.forecast.combination import CombinationForecaster
from training.forecast.models import Forecaster
from training.forecast.series import DailySeries, ValueKind, file_sha256
from training.forecast.windows import WindowSpec

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
SERIES_FILE = "series.csv"
PLOT_FILE = "forecast.png"


def write_series(series: DailySeries, path: Path) -> None:
    """``date,value`` per day."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "value"])
        for day, value in zip(series.dates(), series.values, strict=True):
            writer.writerow([day.isoformat(), repr(float(value))])


def read_series(path: Path, value: ValueKind) -> DailySeries:
    """Read a series written by :func:`write_series` (consecutive days are required)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ModelLoadError(f"{path} holds no days")
    start = dt.date.fromisoformat(rows[0]["date"])
    if dt.date.fromisoformat(rows[-1]["date"]) != start + dt.timedelta(days=len(rows) - 1):
        raise ModelLoadError(f"{path} is not one row per consecutive day")
    return DailySeries(start, np.array([float(r["value"]) for r in rows]), value)


def write_manifest(manifest: ForecastManifest, directory: Path) -> Path:
    """Write ``manifest.json``."""
    path = directory / MANIFEST_FILE
    path.write_text(json.dumps(manifest.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    return path


def read_manifest(directory: Path) -> ForecastManifest:
    """Read and validate ``manifest.json`` of a bundle."""
    path = directory / MANIFEST_FILE
    try:
        return ForecastManifest.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ModelLoadError(f"no forecaster manifest at {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        raise ModelLoadError(f"invalid forecaster manifest {path}: {describe_validation_error(exc)}") from exc


@dataclass(frozen=True)
class ForecastBundle:
    """A loaded bundle: the served forecaster, its intervals and the series it was trained on."""

    directory: Path
    manifest: ForecastManifest
    forecaster: Forecaster
    intervals: AdaptiveIntervals
    series: DailySeries


def intervals_of(manifest: ForecastManifest) -> AdaptiveIntervals:
    """The adaptive intervals in the state the manifest recorded (a fresh copy: serving keeps adapting it)."""
    spec = manifest.intervals
    return AdaptiveIntervals(
        spec.level,
        spec.gamma,
        spec.window,
        {str(b): a for b, a in spec.alpha.items()},
        {str(b): list(r) for b, r in spec.residuals.items()},
    )


def _lstm(manifest: ForecastManifest, directory: Path, threads: int) -> Forecaster:
    from training.forecast.lstm import load_lstm

    spec = WindowSpec(**manifest.lstm.model_dump(exclude={"training"}))
    return load_lstm(directory / manifest.model_file, spec, threads)


def load_bundle(directory: Path, threads: int = 0) -> ForecastBundle:
    """Load a bundle, verifying file hashes; TensorFlow is imported only when the LSTM is served (alone or in
    the combination).

    Any failure, whatever the files hold, is a :class:`ModelLoadError` naming the bundle.
    """
    try:
        return _load_bundle(directory, threads)
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - the files' content is untrusted: any failure is a refusal
        raise ModelLoadError(f"forecaster bundle {directory}: {describe_exception(exc)}") from exc


def _load_bundle(directory: Path, threads: int) -> ForecastBundle:
    manifest = read_manifest(directory)
    for name, expected in [
        (manifest.model_file, manifest.model_sha256),
        (manifest.series.file, manifest.series.sha256),
    ]:
        path = directory / name
        if not path.is_file():
            raise ModelLoadError(f"bundle {directory} lacks {name}")
        if file_sha256(path) != expected:
            raise ModelLoadError(f"bundle {directory}: {name} does not match its sha256 in the manifest")
    series = read_series(directory / manifest.series.file, manifest.value)
    forecaster: Forecaster
    if manifest.chosen_model == "lstm":
        forecaster = _lstm(manifest, directory, threads)
    elif manifest.combination_weights is not None:
        weights = {str(b): {str(m): w for m, w in ws.items()} for b, ws in manifest.combination_weights.items()}
        used = {m for ws in weights.values() for m, w in ws.items() if w > 0}
        members = {m: _lstm(manifest, directory, threads) if m == "lstm" else baseline_by_name(m) for m in used}
        forecaster = CombinationForecaster(members, weights)
    else:
        forecaster = baseline_by_name(manifest.chosen_model)
    logger.info("loaded forecaster %s (%s, serving %s)", manifest.version, manifest.value, manifest.chosen_model)
    return ForecastBundle(directory, manifest, forecaster, intervals_of(manifest), series)
