"""``forecast train``: evaluate every model on rolling origins, serve the best, fit the LSTM, write a bundle."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from core.errors import DataError
from core.paths import default_data_dir
from schemas.common import utc_now
from schemas.forecast import (
    Evaluation,
    ForecastManifest,
    GroupScores,
    Intervals,
    LstmSettings,
    ModelEvaluation,
    SeriesInfo,
)
from schemas.manifest import DataFile
from training.forecast.baselines import baseline_by_name, baseline_recipes
from training.forecast.bundle import PLOT_FILE, SERIES_FILE, write_manifest, write_series
from training.forecast.combination import CombinationForecaster
from training.forecast.lstm import MODEL_FILE, LstmConfig, LstmForecaster, LstmRecipe, load_lstm
from training.forecast.models import Forecaster, Recipe
from training.forecast.plot import plot_forecast
from training.forecast.selection import COMBINATION, EvaluationOutcome, EvaluationSettings, evaluate_series
from training.forecast.series import DailySeries, ValueKind, file_sha256, load_daily_series
from training.forecast.windows import WindowSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    """Everything ``forecast train`` needs."""

    loans: Path
    value: ValueKind
    out: Path
    lstm: LstmConfig = field(default_factory=LstmConfig)
    evaluation: EvaluationSettings = field(default_factory=EvaluationSettings)
    version: str | None = None
    cache: Path | None = None
    evaluate_lstm: bool = True
    """False leaves the LSTM out of the rolling evaluation: it is still trained and shipped, never served."""


def evaluate(
    series: DailySeries,
    cfg: LstmConfig,
    settings: EvaluationSettings,
    say: Callable[[str], None],
    cache: Path | None,
    with_lstm: bool = True,
) -> EvaluationOutcome:
    """The rolling evaluation of the baselines, the LSTM (unless ``with_lstm`` is False) and their combination."""
    # The first origin needs a full window and horizon, and the LSTM at least 20 training windows.
    least = max(cfg.window + cfg.horizon, cfg.spec().min_history + 20)
    settings = replace(settings, min_history=max(settings.min_history, least))
    recipes: list[Recipe] = [*baseline_recipes(), *([LstmRecipe(cfg)] if with_lstm else [])]
    return evaluate_series(series, recipes, cfg.horizon, settings, cache, say)


def evaluation_contract(outcome: EvaluationOutcome, settings: EvaluationSettings, cfg: LstmConfig) -> Evaluation:
    """The manifest's ``evaluation`` section."""
    split, series = outcome.rolling.split, outcome.rolling.series
    scored = split.scored_origins
    return Evaluation(
        horizon=split.horizon,
        step_days=split.step,
        first_scored=series.date_at(scored[0]),
        last_scored=series.date_at(scored[-1]),
        origins_scored=len(scored),
        origins_shifted=len(outcome.groups["shifted"]),
        warmup_days=settings.warmup_days,
        lstm_refit_days=settings.lstm_refit_days if "lstm" in outcome.scores else None,
        level_shift=settings.shift.describe(),
        combination_lookback=settings.rule.lookback,
        combination_power=settings.rule.power,
        models=[
            ModelEvaluation(
                model=model,
                bands={band: GroupScores(**groups) for band, groups in table.items()},
                vs_best_baseline=outcome.versus[model],
            )
            for model, table in outcome.scores.items()
        ],
    )


def fit_lstm(cfg: LstmConfig, series: DailySeries, cache: Path | None, say: Callable[[str], None]) -> LstmForecaster:
    """The LSTM trained on all of ``series``; with ``cache``, a model trained before on the same days with
    the same settings is loaded instead (``cache/lstm-<key>.keras`` and its window spec)."""
    key = hashlib.blake2b(np.ascontiguousarray(series.values).tobytes() + repr(cfg).encode(), digest_size=16)
    model_path = cache / f"lstm-{key.hexdigest()}.keras" if cache else None
    if model_path is not None and model_path.is_file():
        spec = WindowSpec(**json.loads(model_path.with_suffix(".json").read_text(encoding="utf-8")))
        say(f"the LSTM trained on these {len(series)} days is in the cache: {model_path.name}")
        return load_lstm(model_path, spec, cfg.threads)
    say(f"training the LSTM on all {len(series)} days")
    lstm = LstmRecipe(cfg).fit(series)
    if model_path is not None:
        model_path.parent.mkdir(parents=True, exist_ok=True)
        lstm.save(model_path)
        model_path.with_suffix(".json").write_text(json.dumps(lstm.spec.to_dict()), encoding="utf-8")
    return lstm


def served_forecaster(chosen: str, lstm: LstmForecaster, outcome: EvaluationOutcome) -> Forecaster:
    """The forecaster a bundle serves: the LSTM, a baseline, or the combination with its latest weights."""
    if chosen == "lstm":
        return lstm
    if chosen == COMBINATION:
        members = {m: lstm if m == "lstm" else baseline_by_name(m) for b in outcome.final_weights.values() for m in b}
        return CombinationForecaster(members, outcome.final_weights)
    return baseline_by_name(chosen)


def train_forecaster(options: TrainOptions, say: Callable[[str], None]) -> ForecastManifest:
    """Run the whole job and return the manifest written into ``options.out``."""
    started = time.monotonic()
    cfg, settings = options.lstm, options.evaluation
    series = load_daily_series(options.loans, options.value)
    say(f"{options.loans.name}: {len(series)} days of loan {options.value} ({series.start} .. {series.end})")
    outcome = evaluate(series, cfg, settings, say, options.cache, options.evaluate_lstm)
    chosen = outcome.chosen
    say(f"served model: {chosen} - {outcome.why}")

    lstm = fit_lstm(cfg, series, options.cache, say)
    options.out.mkdir(parents=True, exist_ok=True)
    model_path = lstm.save(options.out / MODEL_FILE)
    write_series(series, options.out / SERIES_FILE)

    served = served_forecaster(chosen, lstm, outcome)
    forecast = served.forecast(series, cfg.horizon)
    lower, upper = outcome.intervals.bounds(forecast)
    plot_forecast(options.out / PLOT_FILE, outcome, forecast, lower, upper)

    created = utc_now()
    spec = lstm.spec.to_dict()
    aci = outcome.intervals
    manifest = ForecastManifest(
        version=options.version or f"{options.value}-{created:%Y%m%dT%H%M%SZ}",
        created_at=created,
        value=options.value,
        window=cfg.window,
        horizon=cfg.horizon,
        chosen_model=chosen,
        chosen_reason=outcome.why,
        combination_weights=outcome.final_weights if chosen == COMBINATION else None,
        model_file=MODEL_FILE,
        model_sha256=file_sha256(model_path),
        lstm=LstmSettings(
            **spec,
            training={k: v for k, v in cfg.to_dict().items() if k not in {*spec, "extra"}},
        ),
        evaluation=evaluation_contract(outcome, settings, cfg),
        intervals=Intervals(
            level=aci.level,
            gamma=aci.gamma,
            window=aci.window,
            alpha=aci.alpha,
            residuals={b: [round(r, 5) for r in rs] for b, rs in aci.residuals.items()},
            coverage=outcome.interval_run.coverage,
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
