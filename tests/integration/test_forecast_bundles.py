"""The committed forecaster bundles match the shared data they were trained on and forecast through the CLI.

The forecasts run in a subprocess (the real console script): the LSTM is served, and importing
TensorFlow into the test process would break the unit tests' "no TensorFlow" checks.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from core.paths import default_models_dir
from training.forecast.bundle import read_manifest
from training.forecast.calendar import is_business_day
from training.forecast.series import file_sha256, load_daily_series

pytestmark = pytest.mark.slow

BUNDLES = ["loans-amount", "originations-count"]


@pytest.mark.parametrize("name", BUNDLES)
def test_committed_bundle_serves_the_full_horizon(
    name: str, data_dir: Path, tmp_path: Path, console_script: Callable[[str], Path]
) -> None:
    bundle = default_models_dir() / "forecaster" / name
    manifest = read_manifest(bundle)
    source = manifest.data[0]
    assert file_sha256(data_dir / source.path) == source.sha256, "the shared data changed since training"
    series = load_daily_series(data_dir / source.path, manifest.value)
    assert (series.end, len(series)) == (manifest.series.last_day, manifest.series.days)
    assert manifest.chosen_model in {m.model for m in manifest.evaluation.models}

    out = tmp_path / "forecast.csv"
    done = subprocess.run(
        [str(console_script("ticket-trainer")), "forecast", "predict", "--model", str(bundle), "--days", "90",
         "--output", str(out)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 90 and rows[0]["date"] == (series.end + dt.timedelta(days=1)).isoformat()
    assert all(0 <= float(r["lower"]) <= float(r["forecast"]) <= float(r["upper"]) for r in rows)
    if manifest.value == "count":
        closed = [r for r in rows if not is_business_day(dt.date.fromisoformat(r["date"]))]
        assert closed and all(float(r["forecast"]) == 0 for r in closed)
