"""``forecast train``: backtest every model, pick the best, fit the LSTM on all data, write the bundle."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from schemas.common import utc_now
from schemas.forecast import (
    Backtest,
    ForecastManifest,
    Intervals,
    LstmSettings,
    ModelReport,
    OriginScores,
    Scores,
    SeriesInfo,
)
from schemas.manifest import DataFile
from service.errors import DataError
from service.paths import default_data_dir
from training.forecast.backtest import ModelBacktest, best_model, rolling_origins, run_backtest
from training.forecast.baselines import baseline_by_name, baseline_recipes
from training.forecast.bundle import PLOT_FILE, SERIES_FILE, write_manifest, write_series
from training.forecast.calibration import ReferenceResiduals
from training.forecast.intervals import ConformalIntervals
from training.forecast.lstm import MODEL_FILE, LstmConfig, LstmRecipe
from training.forecast.models import Forecaster, Recipe
from training.forecast.plot import plot_forecast
from training.forecast.series import DailySeries, ValueKind, file_sha256, load_daily_series

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    """Everything ``forecast train`` needs."""

    loans: Path
    value: ValueKind
    out: Path
    lstm: LstmConfig = field(default_factory=LstmConfig)
    origins: int = 6
    step_days: int = 30
    level: float = 0.8
    version: str | None = None


def _report(result: ModelBacktest, level: float, reference: ReferenceResiduals) -> ModelReport:
    cov = result.interval_coverage(level, reference)
    return ModelReport(
        model=result.name,
        mean=Scores(**result.mean_metrics()),
        final_fold=Scores(**result.final_fold().metrics),
        origins=[OriginScores(first_day=o.first_day, **o.metrics) for o in result.origins],
        coverage=cov["coverage"],
        coverage_final_fold=cov["coverage_final_fold"],
        coverage_days=int(cov["days_scored"] or 0),
    )


@dataclass(frozen=True)
class BacktestOutcome:
    """The rolling-origin backtest of every model on one series, and the model it selects."""

    series: DailySeries
    origins: list[int]
    results: dict[str, ModelBacktest]
    reference: ReferenceResiduals
    reports: list[ModelReport]
    chosen: str
    why: str

    def backtest_contract(self, step_days: int, horizon: int) -> Backtest:
        """The manifest's ``backtest`` section."""
        return Backtest(
            horizon=horizon,
            step_days=step_days,
            first_days=[self.series.date_at(o) for o in self.origins],
            models=self.reports,
        )


def backtest_all(
    series: DailySeries, cfg: LstmConfig, origins: int, step_days: int, level: float, say: Callable[[str], None]
) -> BacktestOutcome:
    """Backtest the baselines and the LSTM on ``origins`` rolling origins and pick the lowest mean MASE."""
    positions = rolling_origins(len(series), cfg.horizon, origins, step_days, cfg.window + cfg.horizon)
    if len(positions) < origins:
        say(f"only {len(positions)} of {origins} origins fit in the data")
    recipes: list[Recipe] = [*baseline_recipes(), LstmRecipe(cfg)]
    say(f"backtest: {len(positions)} origins x {len(recipes)} models, horizon {cfg.horizon} days")
    results = run_backtest(series, recipes, positions, cfg.horizon, progress=say)
    chosen, why = best_model(results)
    reference = ReferenceResiduals.compute(series, cfg.horizon, [*positions, len(series)], progress=say)
    reports = [_report(r, level, reference) for r in results.values()]
    return BacktestOutcome(series, positions, results, reference, reports, chosen, why)


def train_forecaster(options: TrainOptions, say: Callable[[str], None]) -> ForecastManifest:
    """Run the whole job and return the manifest written into ``options.out``."""
    started = time.monotonic()
    cfg = options.lstm
    series = load_daily_series(options.loans, options.value)
    say(f"{options.loans.name}: {len(series)} days of loan {options.value} ({series.start} .. {series.end})")
    outcome = backtest_all(series, cfg, options.origins, options.step_days, options.level, say)
    results, chosen, why = outcome.results, outcome.chosen, outcome.why
    say(f"served model: {chosen} - {why}")

    say(f"training the LSTM on all {len(series)} days")
    lstm = LstmRecipe(cfg).fit(series)
    options.out.mkdir(parents=True, exist_ok=True)
    model_path = lstm.save(options.out / MODEL_FILE)
    write_series(series, options.out / SERIES_FILE)

    served: Forecaster = lstm if chosen == "lstm" else baseline_by_name(chosen)
    residuals = outcome.reference.before(len(series))
    bands = ConformalIntervals.calibrate(residuals, options.level)
    forecast = served.forecast(series, cfg.horizon)
    first_day = series.end + dt.timedelta(days=1)
    lower, upper = bands.apply(forecast, first_day)
    chosen_report = next(r for r in outcome.reports if r.model == chosen)
    plot_forecast(options.out / PLOT_FILE, series, forecast, lower, upper, options.level, chosen, results)

    created = utc_now()
    spec = lstm.spec.to_dict()
    manifest = ForecastManifest(
        version=options.version or f"{options.value}-{created:%Y%m%dT%H%M%SZ}",
        created_at=created,
        value=options.value,
        window=cfg.window,
        horizon=cfg.horizon,
        chosen_model=chosen,
        chosen_reason=why,
        model_file=MODEL_FILE,
        model_sha256=file_sha256(model_path),
        lstm=LstmSettings(
            **spec,
            training={k: v for k, v in cfg.to_dict().items() if k not in {*spec, "extra"}},
        ),
        backtest=outcome.backtest_contract(options.step_days, cfg.horizon),
        intervals=Intervals(
            level=bands.level,
            block_days=bands.block_days,
            lower=bands.lower,
            upper=bands.upper,
            calibration_days=len(residuals.values),
            calibrated_on=outcome.reference.describe(len(series)),
            coverage=chosen_report.coverage,
        ),
        series=SeriesInfo(
            value=options.value,
            first_day=series.start,
            last_day=series.end,
            days=len(series),
            file=SERIES_FILE,
            sha256=file_sha256(options.out / SERIES_FILE),
        ),
        data=[DataFile(path=_provenance(options.loans), sha256=file_sha256(options.loans), rows=_rows(options.loans))],
    )
    write_manifest(manifest, options.out)
    say(f"bundle written to {options.out} in {time.monotonic() - started:.0f}s")
    return manifest


def _provenance(path: Path) -> str:
    """The data file relative to the shared data folder when it lives there (no machine-specific prefix)."""
    try:
        return path.resolve().relative_to(default_data_dir().resolve()).as_posix()
    except ValueError:
        return str(path)


def _rows(path: Path) -> int:
    with path.open("rb") as handle:
        lines = sum(1 for _ in handle)
    if lines < 2:
        raise DataError(f"{path} has no data rows")
    return lines - 1
