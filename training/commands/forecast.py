"""``ticket-trainer forecast train|predict``: the loan-volume forecaster's jobs."""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.cli_base import bounded_int, positive_int
from service.errors import ConfigError

if TYPE_CHECKING:
    from training.forecast.lstm import LstmConfig

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add ``forecast`` with its ``train`` and ``predict`` subcommands."""
    parser = subparsers.add_parser(
        "forecast",
        help="train the loan-volume forecaster or write a forecast from a bundle",
        description="Daily loan volume (sum of amounts or count of loans): an LSTM beside naive, seasonal-naive "
        "and Holt-Winters baselines on a rolling-origin backtest, with conformal prediction intervals.",
    )
    commands = parser.add_subparsers(dest="forecast_command", metavar="ACTION", required=True)

    train = commands.add_parser(
        "train",
        help="backtest every model, pick the best, write a bundle",
        description="Aggregate loans per UTC day (missing days are 0), backtest naive, seasonal naive, ETS and the "
        "LSTM on rolling origins, train the LSTM on all days, and write a bundle: lstm.keras, series.csv, "
        "manifest.json (backtest metrics, served model, intervals, data hashes) and forecast.png.",
    )
    train.add_argument("--loans", type=Path, required=True, help="CSV with created_at (and amount for --value amount)")
    train.add_argument(
        "--value", choices=["amount", "count"], default="amount", help="sum of amount or number of loans per day"
    )
    train.add_argument("--out", type=Path, required=True, help="bundle directory to write (created if missing)")
    train.add_argument("--window", type=positive_int, default=60, help="days of history the LSTM reads (default: 60)")
    train.add_argument("--horizon", type=positive_int, default=90, help="days the model forecasts (default: 90)")
    train.add_argument("--origins", type=int, default=6, help="rolling backtest origins (default: 6)")
    train.add_argument("--step", type=positive_int, default=30, help="days between backtest origins (default: 30)")
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
    if args.seeds < 1 or args.origins < 1 or args.epochs < 1:
        raise ConfigError("--seeds, --origins and --epochs must be at least 1")
    return LstmConfig(
        window=args.window,
        horizon=args.horizon,
        epochs=args.epochs,
        seeds=tuple(range(args.seeds)),
        threads=args.threads,
        ets_input=not args.no_ets_input,
    )


def _train(args: argparse.Namespace) -> int:
    from training.forecast.train import TrainOptions, train_forecaster

    options = TrainOptions(
        loans=args.loans,
        value=args.value,
        out=args.out,
        lstm=_lstm_config(args),
        origins=args.origins,
        step_days=args.step,
        level=args.level,
        version=args.version,
    )
    manifest = train_forecaster(options, _say)
    _say("model            MAE        sMAPE  MASE   (mean over origins)  coverage")
    for report in manifest.backtest.models:
        cov = "-" if report.coverage is None else f"{report.coverage:.2f}"
        m = report.mean
        _say(f"{report.model:<15} {m.mae:>12.1f} {m.smape:>6.1f} {m.mase:>6.3f}                       {cov}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from service.textfiles import atomic_output
    from training.forecast.service import ForecastService

    with atomic_output(args.output) as handle:
        points = ForecastService.from_directory(args.model).forecast(args.days)
        writer = csv.writer(handle)
        writer.writerow(["date", "forecast", "lower", "upper"])
        for p in points:
            writer.writerow([p.date.isoformat(), f"{p.forecast:.2f}", f"{p.lower:.2f}", f"{p.upper:.2f}"])
    if handle is not sys.stdout:
        _say(f"{len(points)} days ({points[0].date} .. {points[-1].date}) written to {args.output}")
    return 0
