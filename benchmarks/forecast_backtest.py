"""Rolling-origin evaluation of every forecaster on both shared loan series, per horizon band.

Weekly origins over the last year of each series (90-day horizon), scored per horizon band (1-7, 8-30,
31-90 days) with MAE, sMAPE and MASE on all origins, on origins that follow a level shift and on the
last one (the final 90 days of the file): naive, seasonal naive, ETS, damped trend, the LSTM (refit every
``--refit`` days) and their combination, with the served model's adaptive 80% interval coverage per band.

Run inside the project's environment: ``nice -n 10 .venv/bin/python benchmarks/forecast_backtest.py``
(trains both bundles: the evaluation plus a final LSTM fit per series; ``--out models/forecaster``
replaces the shipped bundles, ``--cache var/forecast-cache`` keeps LSTM fits for a rerun), or
``--from-bundles models/forecaster`` to print what the committed bundles recorded. Prints one JSON
object (progress goes to stderr) and writes ``benchmarks/results/forecast_<series>.png`` per series.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import say  # noqa: E402
from core.paths import default_data_dir  # noqa: E402
from schemas.forecast import ForecastManifest, ValueKind  # noqa: E402

SERIES: dict[str, tuple[str, ValueKind]] = {
    "loans-amount": ("prosper_loans.csv", "amount"),
    "originations-count": ("prosper_originations.csv", "count"),
}
RESULTS = Path(__file__).resolve().parent / "results"
BANDS = ("1-7", "8-30", "31-90")


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _table(manifest: ForecastManifest) -> dict[str, Any]:
    """The evaluation of one bundle as the benchmark prints it."""
    ev = manifest.evaluation
    models: dict[str, Any] = {}
    for report in ev.models:
        models[report.model] = {
            band: {
                group: None if scores is None else {k: _round(v) for k, v in scores.items()}
                for group, scores in groups.model_dump().items()
            }
            for band, groups in report.bands.items()
        }
        models[report.model]["vs_best_baseline_mase"] = {
            band: {g: _round(v) for g, v in groups.items()} for band, groups in report.vs_best_baseline.items()
        }
    served = next(m for m in ev.models if m.model == manifest.chosen_model)
    gaps = [groups.get(g) for b, groups in served.vs_best_baseline.items() if b in BANDS for g in ("all", "shifted")]
    worst = max((v for v in gaps if v is not None), default=None)
    return {
        "served": manifest.chosen_model,
        "why": manifest.chosen_reason,
        "combination_weights": manifest.combination_weights,
        "origins": {
            "scored": ev.origins_scored,
            "after_level_shift": ev.origins_shifted,
            "first": ev.first_scored.isoformat(),
            "last": ev.last_scored.isoformat(),
            "step_days": ev.step_days,
            "warmup_days": ev.warmup_days,
            "lstm_refit_days": ev.lstm_refit_days,
        },
        "level_shift": ev.level_shift,
        "target_served_worst_band_gap_le_10pct": None if worst is None else worst <= 0.10,
        "served_worst_band_gap": _round(worst),
        "interval_coverage_80": {
            band: {g: _round(v) for g, v in groups.items()} for band, groups in manifest.intervals.coverage.items()
        },
        "models": models,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", choices=sorted(SERIES), action="append", help="only this series (repeatable)")
    parser.add_argument("--out", type=Path, help="write the bundles here (default: a temporary folder)")
    parser.add_argument("--cache", type=Path, help="keep LSTM fits and forecasts here across runs")
    parser.add_argument("--refit", type=int, default=182, help="days between LSTM refits (default 182)")
    parser.add_argument(
        "--no-lstm-evaluation",
        choices=sorted(SERIES),
        action="append",
        default=[],
        help="leave the LSTM out of this series' rolling evaluation (it is still shipped; repeatable)",
    )
    parser.add_argument("--from-bundles", type=Path, help="print what <dir>/<series>/manifest.json recorded instead")
    args = parser.parse_args()

    from training.forecast.bundle import PLOT_FILE, read_manifest

    result: dict[str, Any] = {
        "metric_notes": "MASE scaled by the in-sample weekly seasonal-naive MAE before each origin; groups: all "
        "scored origins, shifted (after a level shift), calm (the others), last (the final 90 days of the file)"
    }
    RESULTS.mkdir(exist_ok=True)
    names = args.series or list(SERIES)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.from_bundles or args.out or Path(scratch)
        for name in names:
            started = time.monotonic()
            if not args.from_bundles:
                from training.forecast.selection import EvaluationSettings
                from training.forecast.train import TrainOptions, train_forecaster

                file, value = SERIES[name]
                options = TrainOptions(
                    loans=default_data_dir() / "loans" / file,
                    value=value,
                    out=root / name,
                    evaluation=EvaluationSettings(lstm_refit_days=args.refit),
                    version=f"{name}-4",
                    cache=args.cache,
                    evaluate_lstm=name not in args.no_lstm_evaluation,
                )
                train_forecaster(options, say)
            result[name] = _table(read_manifest(root / name))
            if not args.from_bundles:
                result[name]["seconds"] = round(time.monotonic() - started)
            shutil.copyfile(root / name / PLOT_FILE, RESULTS / f"forecast_{name}.png")
    print(json.dumps(result, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
