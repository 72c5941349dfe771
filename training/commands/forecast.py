"""``ticket-trainer forecast train|predict``: the loan-volume forecaster's jobs."""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli import Subparsers, bounded_int, positive_int
from core.errors import ConfigError

if TYPE_CHECKING:
    from training.forecast.lstm import LstmConfig

logger = logging.getLogger(__name__)


def register(subparsers: Subparsers) -> None:
    """Add ``forecast`` with its ``train`` and ``predict`` subcommands."""
    parser = subparsers.add_parser(
        "forecast",
        help="train the loan-volume forecaster or write a forecast from a bundle",
        description="Daily loan volume (sum of amounts or count of loans): an LSTM, naive, seasonal-naive, ETS and "
        "damped-trend baselines and their combination on a weekly rolling-origin evaluation, with adaptive "
        "conformal prediction intervals.",
    )
    commands = parser.add_subparsers(dest="forecast_command", metavar="ACTION", required=True)

    train = commands.add_parser(
        "train",
        help="evaluate every model on rolling origins, pick the best, write a bundle",
        description="Aggregate loans per UTC day (missing days are 0), forecast from weekly origins over the last "
        "--span days with naive, seasonal naive, ETS, damped trend, the LSTM (refit every --refit days) and "
        "their combination, score them per horizon band, serve the best, train the LSTM on all days, and write "
        "a bundle: lstm.keras, series.csv, manifest.json (evaluation, served model, intervals, data hashes) "
        "and forecast.png.",
    )
    train.add_argument("--loans", type=Path, required=True, help="CSV with created_at (and amount for --value amount)")
    train.add_argument(
        "--value", choices=["amount", "count"], default="amount", help="sum of amount or number of loans per day"
    )
    train.add_argument("--out", type=Path, required=True, help="bundle directory to write (created if missing)")
    train.add_argument("--window", type=positive_int, default=60, help="days of history the LSTM reads (default: 60)")
    train.add_argument("--horizon", type=positive_int, default=90, help="days the model forecasts (default: 90)")
    train.add_argument("--span", type=positive_int, default=364, help="days of scored weekly origins (default: 364)")
    train.add_argument(
        "--warmup",
        type=positive_int,
        default=91,
        help="days of unscored origins first, to learn weights (default: 91)",
    )
    train.add_argument("--step", type=positive_int, default=7, help="days between origins (default: 7)")
    train.add_argument(
        "--refit", type=positive_int, default=182, help="days between LSTM refits in the evaluation (default: 182)"
    )
    train.add_argument("--cache", type=Path, help="folder that keeps LSTM fits and forecasts across runs")
    train.add_argument(
        "--no-lstm-evaluation",
        action="store_true",
        help="leave the LSTM out of the rolling evaluation (it is still trained and shipped, never served)",
    )
    train.add_argument("--epochs", type=int, default=200, help="maximum epochs; early stopping ends sooner")
    train.add_argument("--seeds", type=int, default=3, help="LSTM ensemble members, seeds 0..N-1 (default: 3)")
    train.add_argument(
        "--no-ets-input", action="store_true", help="train the LSTM without ETS's forecast among its inputs"
    )
    train.add_argument("--level", type=float, default=0.8, help="prediction interval level (default: 0.8)")
    train.add_argument(
        "--threads", type=bounded_int(0), default=1, help="TensorFlow threads; 0 = all cores (default: 1)"
    )
    train.add_argument("--version", help="bundle version (default: <value>-<UTC timestamp>)")
    train.set_defaults(handler=_train)

    predict = commands.add_parser(
        "predict",
        help="write the next N days from a bundle as CSV",
        description="Forecast the days after the bundle's series with the served model; writes "
        "date,forecast,lower,upper (lower/upper: the bundle's prediction interval).",
    )
    predict.add_argument("--model", type=Path, required=True, help="bundle directory written by `forecast train`")
    predict.add_argument("--days", type=positive_int, default=30, help="days to forecast, at most the bundle's horizon")
    predict.add_argument("--output", type=Path, required=True, help="CSV file to write ('-' for stdout)")
    predict.set_defaults(handler=_predict)


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - progress of a command-line job


def _lstm_config(args: argparse.Namespace) -> LstmConfig:
    """The LSTM recipe from ``forecast train``'s options (checked)."""
    from training.forecast.lstm import LstmConfig

    if not 0 < args.level < 1:
        raise ConfigError(f"--level must be between 0 and 1, got {args.level}")
    if args.seeds < 1 or args.epochs < 1 or args.step < 1 or args.refit < 1 or args.span < 0 or args.warmup < 0:
        raise ConfigError("--seeds, --epochs, --step and --refit must be at least 1, --span and --warmup at least 0")
    return LstmConfig(
        window=args.window,
        horizon=args.horizon,
        epochs=args.epochs,
        seeds=tuple(range(args.seeds)),
        threads=args.threads,
        ets_input=not args.no_ets_input,
    )


def _train(args: argparse.Namespace) -> int:
    from training.forecast.selection import EvaluationSettings
    from training.forecast.train import TrainOptions, train_forecaster

    settings = EvaluationSettings(
        span_days=args.span,
        warmup_days=args.warmup,
        step_days=args.step,
        lstm_refit_days=args.refit,
        level=args.level,
    )
    options = TrainOptions(
        loans=args.loans,
        value=args.value,
        out=args.out,
        lstm=_lstm_config(args),
        evaluation=settings,
        version=args.version,
        cache=args.cache,
        evaluate_lstm=not args.no_lstm_evaluation,
    )
    manifest = train_forecaster(options, _say)
    _say("MASE per horizon band, all scored origins / after a level shift")
    _say(f"{'model':<15}" + "".join(f"{band:>16}" for band in manifest.evaluation.models[0].bands))
    for report in manifest.evaluation.models:
        cells = [
            "/".join("-" if s is None else f"{s.mase:.3f}" for s in (groups.all, groups.shifted))
            for groups in report.bands.values()
        ]
        _say(f"{report.model:<15}" + "".join(f"{c:>16}" for c in cells))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from core.textfiles import atomic_output
    from training.forecast.serving import ForecastService

    with atomic_output(args.output) as handle:
        points = ForecastService.from_directory(args.model).forecast(args.days)
        writer = csv.writer(handle)
        writer.writerow(["date", "forecast", "lower", "upper"])
        for p in points:
            writer.writerow([p.date.isoformat(), f"{p.forecast:.2f}", f"{p.lower:.2f}", f"{p.upper:.2f}"])
    if handle is not sys.stdout:
        _say(f"{len(points)} days ({points[0].date} .. {points[-1].date}) written to {args.output}")
    return 0
