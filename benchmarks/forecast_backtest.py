"""Rolling-origin backtest of every forecaster (naive, seasonal naive, ETS, LSTM) on both shared loan series.

Run inside the project's environment: ``.venv/bin/python benchmarks/forecast_backtest.py [--origins 6]``
(about 10-20 minutes on 2 cores; ``--first-seed 3`` trains the LSTM ensemble from other seeds to show the
spread), or ``--from-bundles models/forecaster`` to print the table recorded in
the committed bundles' manifests. Prints one JSON object; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import say  # noqa: E402
from schemas.forecast import Backtest  # noqa: E402
from service.paths import default_data_dir  # noqa: E402

SERIES = {
    "loans-amount": ("prosper_loans.csv", "amount"),
    "originations-count": ("prosper_originations.csv", "count"),
}
TARGET_GAIN = 0.10


def _table(backtest: Backtest) -> dict[str, Any]:
    models: dict[str, dict[str, Any]] = {
        m.model: {
            "mean": m.mean.model_dump(),
            "final_fold": m.final_fold.model_dump(),
            "coverage_80": m.coverage,
            "coverage_80_final_fold": m.coverage_final_fold,
            "coverage_days": m.coverage_days,
        }
        for m in backtest.models
    }
    out: dict[str, Any] = {
        "first_days": [d.isoformat() for d in backtest.first_days],
        "horizon": backtest.horizon,
        "models": models,
    }
    if "lstm" in models:
        for scope in ("mean", "final_fold"):
            best = min((v[scope]["mase"], k) for k, v in models.items() if k != "lstm")
            gain = 1 - models["lstm"][scope]["mase"] / best[0]
            out[f"lstm_vs_best_baseline_{scope}"] = {
                "best_baseline": best[1],
                "mase_reduction": round(gain, 4),
                "target_met": gain >= TARGET_GAIN,
            }
    return out


def _clairvoyant(series: Any, origins: list[int], horizon: int) -> dict[str, float]:
    """MASE of a forecast that knows each weekday's median over the forecast days: a perfect level and weekly
    shape with no day-to-day detail, i.e. about the floor of what a smooth forecast can reach."""
    import numpy as np

    from training.forecast.metrics import point_metrics

    scores = []
    for origin in origins:
        actual = series.values[origin : origin + horizon]
        forecast = np.empty(len(actual))
        for weekday in range(7):
            forecast[weekday::7] = np.median(actual[weekday::7])
        scores.append(point_metrics(actual, forecast, series.values[:origin])["mase"])
    return {"mean": round(float(np.mean(scores)), 3), "final_fold": round(scores[-1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=6, help="rolling origins per series (default 6)")
    parser.add_argument("--step", type=int, default=30, help="days between origins (default 30)")
    parser.add_argument("--epochs", type=int, default=200, help="LSTM maximum epochs (default 200)")
    parser.add_argument("--seeds", type=int, default=3, help="LSTM ensemble members (default 3)")
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seed of the first member (default 0, as the shipped bundles)"
    )
    parser.add_argument("--series", choices=sorted(SERIES), action="append", help="only this series (repeatable)")
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow threads (default 1)")
    parser.add_argument("--from-bundles", type=Path, help="read the tables from <dir>/<series>/manifest.json instead")
    args = parser.parse_args()

    result: dict[str, Any] = {
        "metric_notes": "MASE scaled by the in-sample weekly seasonal-naive MAE before each origin"
    }
    if args.from_bundles:
        from training.forecast.bundle import read_manifest

        for name in SERIES:
            manifest = read_manifest(args.from_bundles / name)
            result[name] = {"served": manifest.chosen_model, "why": manifest.chosen_reason, **_table(manifest.backtest)}
        print(json.dumps(result, indent=2))  # noqa: T201
        return

    from training.forecast.lstm import LstmConfig
    from training.forecast.series import load_daily_series
    from training.forecast.train import backtest_all

    seeds = tuple(range(args.first_seed, args.first_seed + args.seeds))
    config = LstmConfig(epochs=args.epochs, seeds=seeds, threads=args.threads)
    result["lstm_seeds"] = list(seeds)
    loans_dir = default_data_dir() / "loans"
    for name in args.series or SERIES:
        file, value = SERIES[name]
        started = time.monotonic()
        series = load_daily_series(loans_dir / file, value)  # type: ignore[arg-type]
        outcome = backtest_all(series, config, args.origins, args.step, 0.8, say)
        table = _table(outcome.backtest_contract(args.step, config.horizon))
        result[name] = {
            "served": outcome.chosen,
            "why": outcome.why,
            **table,
            "clairvoyant_weekday_median_mase": _clairvoyant(series, outcome.origins, config.horizon),
            "seconds": round(time.monotonic() - started),
        }
    print(json.dumps(result, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
