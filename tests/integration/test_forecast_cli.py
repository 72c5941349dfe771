"""The real console script trains a tiny LSTM on a synthetic series, then predicts a CSV from the bundle."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from schemas.forecast import ForecastManifest

pytestmark = pytest.mark.slow


def _synthetic_loans(path: Path, days: int = 140) -> None:
    """Weekday-heavy loans with growth, timestamps in a mix of zones and out of order."""
    rng = np.random.default_rng(3)
    start = dt.datetime(2022, 1, 3, tzinfo=dt.UTC)
    rows = []
    for d in range(days):
        day = start + dt.timedelta(days=d)
        n = int(rng.poisson((8 if day.weekday() < 5 else 2) * (1 + d / days)))
        for _ in range(n):
            stamp = day + dt.timedelta(seconds=int(rng.integers(3600, 70000)))
            text = (
                stamp.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()
                if rng.random() < 0.5
                else (stamp.replace(tzinfo=None).isoformat(sep=" "))
            )
            rows.append((text, int(rng.integers(1000, 20000))))
    rng.shuffle(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["created_at", "amount"])
        writer.writerows(rows)


def test_train_then_predict(tmp_path: Path, console_script: Callable[[str], Path]) -> None:
    loans, bundle, out = tmp_path / "loans.csv", tmp_path / "bundle", tmp_path / "forecast.csv"
    _synthetic_loans(loans)
    trainer = str(console_script("ticket-trainer"))
    train = subprocess.run(
        [trainer, "forecast", "train", "--loans", str(loans), "--value", "amount", "--out", str(bundle),
         "--window", "21", "--horizon", "14", "--span", "28", "--warmup", "14", "--refit", "28", "--epochs", "2",
         "--seeds", "1"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert train.returncode == 0, train.stderr[-2000:]
    assert "lstm: fit 2/2 on" in train.stdout and "served model:" in train.stdout

    manifest = ForecastManifest.model_validate_json((bundle / "manifest.json").read_bytes())
    models = {m.model for m in manifest.evaluation.models}
    assert models == {"naive", "seasonal_naive", "ets", "damped", "lstm", "combination"}
    assert manifest.evaluation.origins_scored == 5 and manifest.evaluation.lstm_refit_days == 28
    assert (manifest.window, manifest.horizon, manifest.value) == (21, 14, "amount")
    assert (bundle / "lstm.keras").stat().st_size > 0 and (bundle / "forecast.png").stat().st_size > 10_000
    assert manifest.data[0].sha256 and manifest.series.days == 140
    assert manifest.intervals.method == "adaptive_conformal_log1p" and manifest.lstm.ets_input
    assert all(manifest.intervals.residuals[band] for band in ("1-7", "8-30"))

    predict = subprocess.run(
        [trainer, "forecast", "predict", "--model", str(bundle), "--days", "10", "--output", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert predict.returncode == 0, predict.stderr[-2000:]
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["date", "forecast", "lower", "upper"] and len(rows) == 10
    assert rows[0]["date"] == (manifest.series.last_day + dt.timedelta(days=1)).isoformat()
    for row in rows:
        lower, forecast, upper = float(row["lower"]), float(row["forecast"]), float(row["upper"])
        assert 0 <= lower <= forecast <= upper

    too_far = subprocess.run(
        [trainer, "forecast", "predict", "--model", str(bundle), "--days", "15", "--output", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert too_far.returncode == 2 and "between 1 and 14" in too_far.stderr
